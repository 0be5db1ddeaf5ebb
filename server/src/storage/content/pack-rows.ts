import { and, eq, inArray } from "drizzle-orm";
import type { BlobStore } from "../blob/blob-store.js";
import type { Db } from "../db/client.js";
import { packs } from "../db/schema/index.js";

/**
 * Deletes the objects of durable packs whose indexing failed, once the database confirms they have
 * no `packs` row (rows and index entries are written in one transaction, so then no index row can
 * point at them). Without that answer (the database unreachable) they stay, as unreferenced objects.
 */
export async function dropUnindexedPacks(db: Db, blobs: BlobStore, storeId: string, written: { packId: string; key: string }[]): Promise<void> {
  if (!written.length) return;
  const rows = await db
    .select({ packId: packs.packId })
    .from(packs)
    .where(and(eq(packs.storeId, storeId), inArray(packs.packId, written.map((p) => p.packId))));
  const indexed = new Set(rows.map((r) => r.packId));
  for (const p of written) if (!indexed.has(p.packId)) await blobs.delete(p.key);
}
