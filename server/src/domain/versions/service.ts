import type { AuditContext } from "../audit/audit-context.js";
import { failedPrecondition, notFound } from "../errors.js";
import { decodePageToken, encodePageToken, pageSizeOf } from "../paging.js";
import type { Clock, ResourceKey, SnapshotRepository, VersionRepository } from "../ports.js";
import { requestFingerprint } from "../audit/request-fingerprint.js";
import { IDEMPOTENCY_KEY_RE, RESOURCE_ID_RE, RESOURCE_TYPE_RE, Validator } from "../validate.js";

export interface VersionUseCasesDeps {
  versions: VersionRepository;
  snapshots: SnapshotRepository;
  clock: Clock;
}

/** Validates the (store, resource_type, resource_id) triple every version RPC takes. */
export function validateResourceKey(key: ResourceKey, v: Validator): ResourceKey {
  v.storeId("store_id", key.storeId);
  v.pattern("resource_type", key.resourceType, RESOURCE_TYPE_RE, 64, "1-64 characters of [A-Za-z0-9._:-]");
  v.pattern("resource_id", key.resourceId, RESOURCE_ID_RE, 256, "free of control characters");
  return key;
}

function checkedKey(key: ResourceKey, extra?: (v: Validator) => void): ResourceKey {
  const v = new Validator();
  validateResourceKey(key, v);
  extra?.(v);
  v.throwIfAny();
  return key;
}

export function createVersionUseCases(deps: VersionUseCasesDeps) {
  const { versions, snapshots, clock } = deps;

  async function withSnapshot(storeId: string, version: Awaited<ReturnType<VersionRepository["get"]>>, label: string) {
    if (!version) throw notFound("version", label);
    const snapshot = await snapshots.get(storeId, version.snapshotId);
    if (!snapshot) throw notFound("snapshot", version.snapshotId);
    return { version, snapshot };
  }

  return {
    async list(key: ResourceKey, pageSize: number, pageToken: string, since?: Date) {
      checkedKey(key);
      const size = pageSizeOf(pageSize);
      const filters = { ...key, since };
      const after = decodePageToken(pageToken, filters, (c) =>
        c && typeof c === "object" && Number.isInteger((c as { v?: unknown }).v)
          ? { version: (c as { v: number }).v }
          : undefined,
      );
      const page = await versions.list(key, size, since, after);
      return {
        versions: page.items,
        nextPageToken: page.next ? encodePageToken({ v: page.next.version }, filters) : "",
        totalSize: page.totalSize,
      };
    },

    async get(key: ResourceKey, version: number) {
      checkedKey(key, (v) => {
        if (!Number.isSafeInteger(version) || version < 1) v.add("version", "must be >= 1");
      });
      return withSnapshot(key.storeId, await versions.get(key, version), `${key.resourceType}/${key.resourceId}@${version}`);
    },

    async latest(key: ResourceKey) {
      checkedKey(key);
      return withSnapshot(key.storeId, await versions.latest(key), `${key.resourceType}/${key.resourceId}@latest`);
    },

    /** Commits an existing ACTIVE snapshot as the next version of the resource. */
    async create(key: ResourceKey, snapshotId: string, notes: string, authorId: string, audit: AuditContext, idempotencyKey = "") {
      checkedKey(key, (v) => {
        v.uuid("snapshot_id", snapshotId);
        v.maxLength("notes", notes, 4096);
        v.maxLength("author_id", authorId, 256);
        if (idempotencyKey && !IDEMPOTENCY_KEY_RE.test(idempotencyKey)) v.add("idempotency_key", "must be 1-128 printable ASCII characters");
      });
      const s = await snapshots.get(key.storeId, snapshotId.toLowerCase());
      if (!s) throw notFound("snapshot", snapshotId);
      if (s.state !== "ACTIVE") throw failedPrecondition("snapshot is deleted", "SNAPSHOT_DELETED");
      if (s.resourceType !== key.resourceType || (s.resourceId !== "" && s.resourceId !== key.resourceId)) {
        throw failedPrecondition(
          "snapshot belongs to a different resource; it can only be committed to its own resource",
          "RESOURCE_MISMATCH",
        );
      }
      const idempotency = idempotencyKey
        ? { key: idempotencyKey, fingerprint: requestFingerprint({ key, snapshotId: s.id, notes, authorId }).toHex() }
        : undefined;
      return versions.append(key, s.id, authorId, notes, clock.now(), audit, idempotency);
    },
  };
}

export type VersionUseCases = ReturnType<typeof createVersionUseCases>;
