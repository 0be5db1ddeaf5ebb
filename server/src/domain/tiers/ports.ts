import type { StorageClass } from "../snapshots/types.js";

/** A pack a snapshot's content lives in, and the class its object is stored in. */
export interface PackPlacement {
  packId: string;
  storageClass: StorageClass;
}

/** Pack reads and writes for storage class moves (storage/content/tier-packs.ts). */
export interface TierPacks {
  /** The packs holding the snapshot's chunks. */
  packsOf(snapshot: { storeId: string; contentRef: string; encrypted: boolean }): Promise<PackPlacement[]>;
  /**
   * For each of `packIds`, the hottest class among the other ACTIVE snapshots of the store whose
   * chunks live in it and whose class is hotter than `than` (absent when there is none).
   */
  hotterUsers(storeId: string, exceptSnapshotId: string, packIds: readonly string[], than: StorageClass): Promise<Map<string, StorageClass>>;
  /** Moves the pack object (same key) and records its class. */
  move(storeId: string, pack: PackPlacement, to: StorageClass): Promise<void>;
}

/** Hotness order: STANDARD > COLD > ARCHIVE. */
export const HOTNESS: Record<StorageClass, number> = { STANDARD: 2, COLD: 1, ARCHIVE: 0 };
export const hottest = (a: StorageClass, b: StorageClass | undefined): StorageClass => (b !== undefined && HOTNESS[b] > HOTNESS[a] ? b : a);
