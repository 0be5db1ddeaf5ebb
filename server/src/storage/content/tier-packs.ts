import { and, eq, inArray, ne, sql } from "drizzle-orm";
import type { StorageClass } from "../../domain/snapshots/types.js";
import { HOTNESS, hottest, type TierPacks } from "../../domain/tiers/ports.js";
import type { TierMover } from "../blob/tier-mover.js";
import type { Db } from "../db/client.js";
import { chunks, packs, snapshots } from "../db/schema/index.js";
import { packKey } from "../engine/pack-format.js";
import type { ChunkedContentStore } from "./chunked-store.js";

/** Digests per query (bounds one IN list). */
const DIGEST_BATCH = 5000;

/**
 * TierPacks over the chunk index: a snapshot's packs come from its manifest's digests; the sharing
 * rule looks at every other ACTIVE snapshot hotter than the target (one manifest read each).
 */
export function createTierPacks(deps: { db: Db; content: Pick<ChunkedContentStore, "manifestOf">; mover: TierMover }): TierPacks {
  const { db } = deps;

  async function packIdsOf(s: { storeId: string; contentRef: string; encrypted: boolean }): Promise<Set<string>> {
    const digests = [...new Set((await deps.content.manifestOf(s)).entries.map((e) => Buffer.from(e.digest.bytes)))];
    const ids = new Set<string>();
    for (let i = 0; i < digests.length; i += DIGEST_BATCH) {
      const rows = await db
        .selectDistinct({ packId: chunks.packId })
        .from(chunks)
        .where(and(eq(chunks.storeId, s.storeId), eq(chunks.encrypted, s.encrypted), inArray(chunks.digest, digests.slice(i, i + DIGEST_BATCH))));
      for (const r of rows) ids.add(r.packId);
    }
    return ids;
  }

  return {
    async packsOf(s) {
      const ids = [...(await packIdsOf(s))];
      if (ids.length === 0) return [];
      const rows = await db.select({ packId: packs.packId, storageClass: packs.storageClass }).from(packs).where(and(eq(packs.storeId, s.storeId), inArray(packs.packId, ids)));
      return rows.map((r) => ({ packId: r.packId, storageClass: r.storageClass as StorageClass }));
    },

    async hotterUsers(storeId, exceptSnapshotId, packIds, than) {
      const hotter = (Object.keys(HOTNESS) as StorageClass[]).filter((c) => HOTNESS[c] > HOTNESS[than]);
      const out = new Map<string, StorageClass>();
      if (hotter.length === 0 || packIds.length === 0) return out;
      const wanted = new Set(packIds);
      const users = await db
        .select({ storeId: snapshots.storeId, contentRef: snapshots.contentRef, encrypted: snapshots.encrypted, storageClass: snapshots.storageClass })
        .from(snapshots)
        .where(and(eq(snapshots.storeId, storeId), eq(snapshots.state, "ACTIVE"), ne(snapshots.id, exceptSnapshotId), inArray(snapshots.storageClass, hotter), sql`${snapshots.contentRef} <> ''`));
      for (const u of users) {
        for (const id of await packIdsOf(u)) if (wanted.has(id)) out.set(id, hottest(u.storageClass as StorageClass, out.get(id)));
      }
      return out;
    },

    async move(storeId, pack, to) {
      await deps.mover.move(packKey(storeId, pack.packId), pack.storageClass, to);
      await db.update(packs).set({ storageClass: to }).where(and(eq(packs.storeId, storeId), eq(packs.packId, pack.packId)));
    },
  };
}
