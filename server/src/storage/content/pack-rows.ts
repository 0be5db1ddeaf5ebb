import { and, eq, inArray } from "drizzle-orm";
import type { BlobStore } from "../blob/blob-store.js";
import type { Db } from "../db/client.js";
import { packs } from "../db/schema/index.js";

/** Those of `items` (packs of `storeId`) that no `packs` row names. */
export async function rowlessPacks<T extends { packId: string }>(db: Db, storeId: string, items: readonly T[]): Promise<T[]> {
  if (!items.length) return [];
  const rows = await db
    .select({ packId: packs.packId })
    .from(packs)
    .where(and(eq(packs.storeId, storeId), inArray(packs.packId, items.map((p) => p.packId))));
  const named = new Set(rows.map((r) => r.packId));
  return items.filter((p) => !named.has(p.packId));
}

/**
 * Deletes the objects of durable packs whose indexing failed, once the database confirms they have
 * no `packs` row (rows and index entries are written in one transaction, so then no index row can
 * point at them). Without that answer (the database unreachable) they stay, as unreferenced objects.
 */
export async function dropUnindexedPacks(db: Db, blobs: BlobStore, storeId: string, written: { packId: string; key: string }[]): Promise<void> {
  for (const p of await rowlessPacks(db, storeId, written)) await blobs.delete(p.key);
}
