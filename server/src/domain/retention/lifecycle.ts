import type { AuditContext } from "../audit/audit-context.js";
import { aborted, failedPrecondition, notFound } from "../errors.js";
import type { Clock, SnapshotRepository } from "../ports.js";
import { snapshotEtag, type Snapshot } from "../snapshots/types.js";
import { Validator } from "../validate.js";

/** Snapshots expired or purged per statement, and at most per pass (the next pass continues). */
export const LIFECYCLE_BATCH = 500;
export const LIFECYCLE_MAX_PER_PASS = 20_000;

/** Snapshot lifecycle persistence across stores; every change is audited in its transaction. */
export interface LifecycleRepository {
  /**
   * Soft-deletes up to `limit` ACTIVE snapshots of any store whose expire_time is at or before
   * `now` and that are neither pinned, locked (unexpired) nor held at `now` (delete time `now`,
   * purge time `purgeTime`), each audited as `snapshot.expire`. Returns how many.
   */
  expireDue(now: Date, purgeTime: Date, limit: number, audit: AuditContext): Promise<number>;
  /**
   * Removes up to `limit` soft-deleted snapshots of any store whose purge_time is at or before
   * `now` and that are not held (their versions go with them), each audited as `snapshot.purge`.
   * Returns how many.
   */
  purgeDue(now: Date, limit: number, audit: AuditContext): Promise<number>;
  /**
   * DELETED -> ACTIVE when the row is still at `generation`, DELETED and its purge time is after
   * `now`; clears delete and purge times, and an expire time at or before the deletion (or `now`). Audited as
   * `snapshot.undelete`. Undefined when nothing matched.
   */
  undelete(storeId: string, id: string, now: Date, generation: number, audit: AuditContext): Promise<Snapshot | undefined>;
}

/** Who acts in lifecycle passes: the system, not a caller. */
export const lifecycleAudit = (now: Date): AuditContext => ({ actor: "system:lifecycle", requestId: `lifecycle:${now.toISOString()}` });

/**
 * Snapshot lifecycle: TTL expiry, purge after the undelete window, and undelete. `expireDue` and
 * `purgeExpiredDeletes` are passes over every store, meant to run periodically; each does at most
 * LIFECYCLE_MAX_PER_PASS snapshots and leaves the rest to the next pass. A purged snapshot's
 * content is no longer referenced by it, so the storage reclaim sweep frees the chunks no other
 * snapshot uses.
 */
export function createLifecycleUseCases(deps: {
  lifecycle: LifecycleRepository;
  snapshots: Pick<SnapshotRepository, "get">;
  clock: Clock;
  undeleteWindowMs: number;
}) {
  const { lifecycle } = deps;
  const pass = async (step: (limit: number) => Promise<number>) => {
    let total = 0;
    for (;;) {
      const n = await step(Math.min(LIFECYCLE_BATCH, LIFECYCLE_MAX_PER_PASS - total));
      total += n;
      if (n < LIFECYCLE_BATCH || total >= LIFECYCLE_MAX_PER_PASS) return total;
    }
  };
  return {
    /** Soft-deletes the snapshots whose expire_time has come (held, pinned and locked ones wait). */
    async expireDue(now: Date): Promise<{ expired: number }> {
      const purgeTime = new Date(now.getTime() + deps.undeleteWindowMs);
      return { expired: await pass((limit) => lifecycle.expireDue(now, purgeTime, limit, lifecycleAudit(now))) };
    },

    /** Removes the soft-deleted snapshots whose undelete window has passed (held ones stay). */
    async purgeExpiredDeletes(now: Date): Promise<{ purged: number }> {
      return { purged: await pass((limit) => lifecycle.purgeDue(now, limit, lifecycleAudit(now))) };
    },

    /** UndeleteSnapshot: within the undelete window, a soft-deleted snapshot becomes ACTIVE again. */
    async undelete(storeId: string, snapshotId: string, etag: string, audit: AuditContext): Promise<Snapshot> {
      const v = new Validator();
      v.storeId("store_id", storeId);
      v.uuid("snapshot_id", snapshotId);
      v.throwIfAny();
      const id = snapshotId.toLowerCase();
      const s = await deps.snapshots.get(storeId, id);
      if (!s) throw notFound("snapshot", snapshotId);
      if (etag && etag !== snapshotEtag(s)) throw aborted("etag does not match the snapshot's current etag", "ETAG_MISMATCH");
      if (s.state === "ACTIVE") return s;
      const now = deps.clock.now();
      if (s.purgeTime && s.purgeTime.getTime() <= now.getTime()) {
        throw failedPrecondition(`the undelete window ended at ${s.purgeTime.toISOString()}; the snapshot is being purged`, "UNDELETE_WINDOW_PASSED");
      }
      const restored = await lifecycle.undelete(storeId, id, now, s.generation, audit);
      if (restored) return restored;
      if (!(await deps.snapshots.get(storeId, id))) throw notFound("snapshot", snapshotId);
      throw aborted("snapshot changed concurrently; fetch it and retry", "CONCURRENT_MODIFICATION");
    },
  };
}

export type LifecycleUseCases = ReturnType<typeof createLifecycleUseCases>;
