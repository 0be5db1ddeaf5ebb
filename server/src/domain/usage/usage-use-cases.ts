import type { Clock } from "../ports.js";
import { Validator } from "../validate.js";

/** Storage figures of a set of snapshots (see UsageFigures in proto/vellum/v1/storage.proto). */
export interface UsageFigures {
  snapshotCount: number;
  logicalBytes: number;
  storedBytes: number;
  /** logicalBytes / storedBytes; 0 when storedBytes is 0. */
  dedupRatio: number;
  pinnedBytes: number;
  pendingReclaimBytes: number;
  deletedCount: number;
}

export type UsageSums = Omit<UsageFigures, "dedupRatio">;

export interface UsageEntry {
  key: string;
  usage: UsageFigures;
}

export interface StorageUsage {
  storeId: string;
  total: UsageFigures;
  bySnapshotType: UsageEntry[];
  byTag: UsageEntry[];
  byResourceType: UsageEntry[];
  truncated: boolean;
  indexedChunkBytes: number;
  packBytes: number;
  computeTime: Date;
}

export type SummaryDimension = "RESOURCE_TYPE" | "SNAPSHOT_TYPE" | "TAG" | "CREATED_BY" | "DAY";

export interface SummaryGroup {
  key: string;
  snapshotCount: number;
  bytesIngested: number;
  storedBytes: number;
  pinnedCount: number;
  deletedCount: number;
}

/** Largest number of groups one breakdown or summary returns. */
export const MAX_GROUPS = 1000;

/** Aggregate queries over snapshot rows (no content is read). */
export interface UsageRepository {
  /**
   * Sums per snapshot type, per resource type and in total (one query), and per tag (another),
   * each group list largest logical bytes first and at most `maxGroups + 1` long, as of `now`.
   */
  usage(storeId: string, now: Date, maxGroups: number): Promise<{
    total: UsageSums;
    bySnapshotType: { key: string; sums: UsageSums }[];
    byResourceType: { key: string; sums: UsageSums }[];
    byTag: { key: string; sums: UsageSums }[];
    indexedChunkBytes: number;
    packBytes: number;
  }>;
  /** Summary groups (largest ingest first, at most `maxGroups + 1`) and the total, as of `now`. */
  summarize(
    filter: { storeId: string; since?: Date; until?: Date; by: SummaryDimension },
    now: Date,
    maxGroups: number,
  ): Promise<{ groups: SummaryGroup[]; total: SummaryGroup }>;
}

const figures = (s: UsageSums): UsageFigures => ({ ...s, dedupRatio: s.storedBytes > 0 ? s.logicalBytes / s.storedBytes : 0 });

/** GetStorageUsage and SummarizeSnapshots. */
export function createUsageUseCases(deps: { usage: UsageRepository; clock: Clock }) {
  return {
    async storageUsage(storeId: string): Promise<StorageUsage> {
      const v = new Validator();
      v.storeId("store_id", storeId);
      v.throwIfAny();
      const now = deps.clock.now();
      const u = await deps.usage.usage(storeId, now, MAX_GROUPS);
      const entries = (list: { key: string; sums: UsageSums }[]) => list.slice(0, MAX_GROUPS).map((e) => ({ key: e.key, usage: figures(e.sums) }));
      return {
        storeId,
        total: figures(u.total),
        bySnapshotType: entries(u.bySnapshotType),
        byTag: entries(u.byTag),
        byResourceType: entries(u.byResourceType),
        truncated: [u.bySnapshotType, u.byTag, u.byResourceType].some((l) => l.length > MAX_GROUPS),
        indexedChunkBytes: u.indexedChunkBytes,
        packBytes: u.packBytes,
        computeTime: now,
      };
    },

    async summarize(filter: { storeId: string; since?: Date; until?: Date; by: SummaryDimension }) {
      const v = new Validator();
      v.storeId("store_id", filter.storeId);
      if (filter.since && filter.until && filter.since.getTime() > filter.until.getTime()) v.add("until", "must not be before since");
      v.throwIfAny();
      const { groups, total } = await deps.usage.summarize(filter, deps.clock.now(), MAX_GROUPS);
      return { groups: groups.slice(0, MAX_GROUPS), total, truncated: groups.length > MAX_GROUPS };
    },
  };
}

export type UsageUseCases = ReturnType<typeof createUsageUseCases>;
