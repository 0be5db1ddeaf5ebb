import type { AuditContext } from "../audit/audit-context.js";
import { failedPrecondition, notFound } from "../errors.js";
import type { JobUseCases } from "../jobs/service.js";
import type { Job } from "../jobs/types.js";
import { applyMetadataChange, type SnapshotMetadataRepository } from "../snapshots/metadata-updates.js";
import type { Snapshot, StorageClass } from "../snapshots/types.js";
import { Validator } from "../validate.js";
import { hottest, type TierPacks } from "./ports.js";

/** The job kind that moves a snapshot's packs (jobs/kinds/move-storage-class.ts). */
export const MOVE_STORAGE_CLASS = "MOVE_STORAGE_CLASS";

export interface TierUseCasesDeps {
  metadata: SnapshotMetadataRepository;
  snapshots: { get(storeId: string, id: string): Promise<Snapshot | undefined> };
  packs: TierPacks;
  jobs: Pick<JobUseCases, "enqueue">;
}

/** What one move did. */
export interface MoveReport {
  packsMoved: number;
  /** Packs left hotter than the target because a hotter snapshot uses them. */
  packsKeptHot: number;
  storageClass?: StorageClass;
}

const checkIds = (storeId: string, snapshotId: string) => {
  const v = new Validator();
  v.storeId("store_id", storeId);
  v.uuid("snapshot_id", snapshotId);
  return v;
};

/** SetStorageClass, RehydrateSnapshot, and the move job's work (StorageService documents them). */
export function createTierUseCases(deps: TierUseCasesDeps) {
  const enqueueMove = (storeId: string, snapshotId: string, rehydrate: boolean, actor: string, audit: AuditContext) =>
    deps.jobs.enqueue(storeId, MOVE_STORAGE_CLASS, { actor, audit, snapshotId, params: { rehydrate }, dedupeKey: `tier:${snapshotId}:${rehydrate ? "rehydrate" : "move"}` });

  return {
    async setStorageClass(storeId: string, snapshotId: string, cls: StorageClass | undefined, etag: string, actor: string, audit: AuditContext): Promise<{ snapshot: Snapshot; job?: Job }> {
      const v = checkIds(storeId, snapshotId);
      if (!cls) v.add("storage_class", "is required: STANDARD, COLD or ARCHIVE");
      v.throwIfAny();
      let changed = false;
      const snapshot = await applyMetadataChange(deps.metadata, storeId, snapshotId, etag, "snapshot.storage_class", audit, (s) => {
        if (s.storageClass === cls) return undefined;
        if (s.storageClass === "ARCHIVE") throw failedPrecondition("an ARCHIVE snapshot leaves the archive through RehydrateSnapshot", "USE_REHYDRATE");
        changed = true;
        return { storageClass: cls };
      });
      return { snapshot, job: changed ? await enqueueMove(storeId, snapshot.id, false, actor, audit) : undefined };
    },

    async rehydrate(storeId: string, snapshotId: string, actor: string, audit: AuditContext): Promise<Job> {
      checkIds(storeId, snapshotId).throwIfAny();
      const s = await deps.snapshots.get(storeId, snapshotId.toLowerCase());
      if (!s) throw notFound("snapshot", snapshotId);
      if (s.storageClass !== "ARCHIVE") throw failedPrecondition(`snapshot is in the ${s.storageClass} class, not ARCHIVE`, "NOT_ARCHIVED");
      return enqueueMove(storeId, s.id, true, actor, audit);
    },

    /**
     * The move job: each of the snapshot's packs goes to the hottest of the target class (the
     * snapshot's class; STANDARD when rehydrating) and the classes of the other ACTIVE snapshots
     * using it. Rehydration then sets the snapshot's class to STANDARD. Repeating it is harmless.
     */
    async move(storeId: string, snapshotId: string, rehydrate: boolean, audit: AuditContext, signal?: AbortSignal): Promise<MoveReport> {
      const s = await deps.snapshots.get(storeId, snapshotId);
      if (!s || s.state !== "ACTIVE" || (rehydrate && s.storageClass !== "ARCHIVE")) return { packsMoved: 0, packsKeptHot: 0, storageClass: s?.storageClass };
      const target: StorageClass = rehydrate ? "STANDARD" : s.storageClass;
      const placements = await deps.packs.packsOf(s);
      const users = await deps.packs.hotterUsers(storeId, s.id, placements.map((p) => p.packId), target);
      const report: MoveReport = { packsMoved: 0, packsKeptHot: 0 };
      for (const p of placements) {
        signal?.throwIfAborted();
        const desired = hottest(target, users.get(p.packId));
        if (desired !== target) report.packsKeptHot++;
        if (desired === p.storageClass) continue;
        await deps.packs.move(storeId, p, desired);
        report.packsMoved++;
      }
      if (rehydrate) {
        await applyMetadataChange(deps.metadata, storeId, s.id, "", "snapshot.rehydrate", audit, (cur) => (cur.storageClass === "ARCHIVE" ? { storageClass: "STANDARD" } : undefined));
      }
      return { ...report, storageClass: rehydrate ? "STANDARD" : target };
    },
  };
}

export type TierUseCases = ReturnType<typeof createTierUseCases>;
