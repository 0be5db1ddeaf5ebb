import type { AuditContext } from "../audit/audit-context.js";
import { failedPrecondition, notFound } from "../errors.js";
import { Validator } from "../validate.js";
import { checkTags, MAX_LABELS_BYTES } from "./spec.js";
import type { Protection, Snapshot, StorageClass } from "./types.js";

/** Metadata a snapshot admin RPC may change. */
export interface MetadataPatch {
  tags?: string[];
  labels?: Record<string, unknown>;
  pinned?: boolean;
  pinReason?: string;
  pinExpireTime?: Date | null;
  locked?: boolean;
  lockReason?: string;
  lockExpireTime?: Date | null;
  held?: boolean;
  holdReason?: string;
  storageClass?: StorageClass;
}

/** Longest reason of a pin, lock or legal hold. */
export const MAX_PROTECTION_REASON = 1024;

/** Conditional metadata updates of one snapshot row. */
export interface SnapshotMetadataRepository {
  /**
   * In one transaction: locks the row; fails ABORTED (ETAG_MISMATCH) when `etag` is given and not
   * current; runs `change` on the locked row (it may throw, or return undefined for "nothing to
   * change"); applies the patch bumping the generation; writes the audit event `action` with the
   * states before and after. Returns the row after the change (unchanged when `change` returned
   * undefined). Undefined when the snapshot does not exist.
   */
  update(
    storeId: string,
    id: string,
    opts: { etag?: string; action: string; audit: AuditContext; change: (current: Snapshot) => MetadataPatch | undefined },
  ): Promise<Snapshot | undefined>;
}

export const UPDATE_MASK_PATHS = ["tags", "labels"] as const;

function checkIds(v: Validator, storeId: string, snapshotId: string): void {
  v.storeId("store_id", storeId);
  v.uuid("snapshot_id", snapshotId);
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

type ApplyArgs = [
  storeId: string,
  snapshotId: string,
  etag: string,
  action: string,
  audit: AuditContext,
  patchOf: (s: Snapshot) => MetadataPatch | undefined,
  opts?: { allowDeleted?: boolean },
];

/**
 * One etag-checked, audited metadata change of an ACTIVE snapshot: `patchOf` sees the locked row and
 * returns the patch, or undefined for "nothing to change" (then no new etag and no audit event).
 * NOT_FOUND for an unknown snapshot; FAILED_PRECONDITION (SNAPSHOT_DELETED) for a deleted one,
 * unless `opts.allowDeleted` (legal holds).
 */
export async function applyMetadataChange(repository: SnapshotMetadataRepository, ...[storeId, snapshotId, etag, action, audit, patchOf, opts]: ApplyArgs): Promise<Snapshot> {
  const updated = await repository.update(storeId, snapshotId.toLowerCase(), {
    etag: etag || undefined,
    action,
    audit,
    change: (current) => {
      if (current.state !== "ACTIVE" && !opts?.allowDeleted) throw failedPrecondition("snapshot is deleted; its metadata cannot change", "SNAPSHOT_DELETED");
      return patchOf(current);
    },
  });
  if (!updated) throw notFound("snapshot", snapshotId);
  return updated;
}

/**
 * UpdateSnapshot, pins, locks and legal holds. Deleted snapshots cannot change (FAILED_PRECONDITION),
 * except that they can be held and released; a change that leaves the snapshot as it is returns it
 * without bumping its etag or writing an event. Pins and locks may carry an expire time, after which
 * they read as absent.
 */
export function createSnapshotMetadataUseCases(deps: { repository: SnapshotMetadataRepository; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  const apply = (...args: ApplyArgs) => applyMetadataChange(deps.repository, ...args);

  const sameProtection = (p: Protection | undefined, q: Protection) =>
    p !== undefined && p.reason === q.reason && (p.expireTime?.getTime() ?? 0) === (q.expireTime?.getTime() ?? 0);

  /** Pin or lock with a reason and an optional future expiry; again replaces reason and expiry. */
  const protect = (kind: "pin" | "lock", action: string) =>
    (storeId: string, snapshotId: string, etag: string, protection: Protection, audit: AuditContext) => {
      const v = new Validator();
      checkIds(v, storeId, snapshotId);
      v.maxLength("reason", protection.reason, MAX_PROTECTION_REASON);
      if (protection.expireTime && protection.expireTime.getTime() <= now().getTime()) v.add("expire_time", "must be in the future");
      v.throwIfAny();
      return apply(storeId, snapshotId, etag, action, audit, (s) => {
        if (sameProtection(s[kind], protection)) return undefined;
        const expire = protection.expireTime ?? null;
        return kind === "pin"
          ? { pinned: true, pinReason: protection.reason, pinExpireTime: expire }
          : { locked: true, lockReason: protection.reason, lockExpireTime: expire };
      });
    };

  const release = (kind: "pin" | "lock", action: string) => (storeId: string, snapshotId: string, etag: string, audit: AuditContext) => {
    const v = new Validator();
    checkIds(v, storeId, snapshotId);
    v.throwIfAny();
    return apply(storeId, snapshotId, etag, action, audit, (s) => {
      if (!s[kind]) return undefined;
      return kind === "pin"
        ? { pinned: false, pinReason: "", pinExpireTime: null }
        : { locked: false, lockReason: "", lockExpireTime: null };
    });
  };

  return {
    /** Replaces the fields named in `mask` ("tags", "labels"). */
    async update(
      storeId: string,
      snapshotId: string,
      etag: string,
      mask: readonly string[],
      fields: { tags: string[]; labels: Record<string, unknown> },
      audit: AuditContext,
    ): Promise<Snapshot> {
      const v = new Validator();
      checkIds(v, storeId, snapshotId);
      if (mask.length === 0) v.add("update_mask", "must name at least one of: tags, labels");
      for (const p of mask) if (!(UPDATE_MASK_PATHS as readonly string[]).includes(p)) v.add("update_mask", `unknown path ${JSON.stringify(p)}; allowed: tags, labels`);
      if (mask.includes("tags")) checkTags(v, "tags", fields.tags);
      if (mask.includes("labels") && Buffer.byteLength(JSON.stringify(fields.labels)) > MAX_LABELS_BYTES) {
        v.add("labels", `must serialise to at most ${MAX_LABELS_BYTES} bytes of JSON`);
      }
      v.throwIfAny();
      const tags = [...new Set(fields.tags)];
      return apply(storeId, snapshotId, etag, "snapshot.update", audit, (s) => {
        const patch: MetadataPatch = {};
        if (mask.includes("tags") && !sameJson(s.tags, tags)) patch.tags = tags;
        if (mask.includes("labels") && !sameJson(s.labels, fields.labels)) patch.labels = fields.labels;
        return Object.keys(patch).length ? patch : undefined;
      });
    },
    pin: protect("pin", "snapshot.pin"),
    unpin: release("pin", "snapshot.unpin"),
    lock: protect("lock", "snapshot.lock"),
    unlock: release("lock", "snapshot.unlock"),

    /** Legal hold with a required reason; works on soft-deleted snapshots too (stops their purge). */
    hold(storeId: string, snapshotId: string, etag: string, reason: string, audit: AuditContext): Promise<Snapshot> {
      const v = new Validator();
      checkIds(v, storeId, snapshotId);
      if (reason.trim() === "") v.add("reason", "is required");
      v.maxLength("reason", reason, MAX_PROTECTION_REASON);
      v.throwIfAny();
      return apply(storeId, snapshotId, etag, "snapshot.hold", audit, (s) => (s.held && s.hold?.reason === reason ? undefined : { held: true, holdReason: reason }), {
        allowDeleted: true,
      });
    },

    releaseHold(storeId: string, snapshotId: string, etag: string, audit: AuditContext): Promise<Snapshot> {
      const v = new Validator();
      checkIds(v, storeId, snapshotId);
      v.throwIfAny();
      return apply(storeId, snapshotId, etag, "snapshot.release_hold", audit, (s) => (s.held ? { held: false, holdReason: "" } : undefined), {
        allowDeleted: true,
      });
    },
  };
}

export type SnapshotMetadataUseCases = ReturnType<typeof createSnapshotMetadataUseCases>;
