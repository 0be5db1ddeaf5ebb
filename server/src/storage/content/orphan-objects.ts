import { and, eq, inArray, lt, notExists, sql } from "drizzle-orm";
import type { BlobStore } from "../blob/blob-store.js";
import type { Db } from "../db/client.js";
import { orphanObjects, packs } from "../db/schema/index.js";
import { packIdFromKey, packPrefix } from "../engine/pack-format.js";
import { rowlessPacks } from "./pack-rows.js";

const LIST_BATCH = 500;

/**
 * Deletes pack objects that no `packs` row names: left when a durable pack's indexing failed while
 * the database was unreachable, so nothing could confirm it was safe to delete at once. An object is
 * only known by its key (the BlobStore keeps no times), so this is two-phase: a run records each
 * rowless object with the time it was first seen; a later run deletes it if it still has no row,
 * was first seen before `cutoff` (the grace period) and no ingest lease that started before that
 * sighting is still held (`leaseFloor`, the store's oldest lease) — a pack's writer indexes it
 * within seconds of it becoming durable, under such a lease. Returns the objects deleted.
 */
export async function sweepOrphanObjects(
  deps: { db: Db; blobs: BlobStore },
  storeId: string,
  opts: { cutoff: Date; leaseFloor?: Date },
): Promise<{ objects: number; bytes: number }> {
  const { db, blobs } = deps;
  const rowless = new Map<string, number>(); // key -> size of each object with no pack row
  let batch: { key: string; packId: string; size: number }[] = [];
  const check = async () => {
    for (const b of await rowlessPacks(db, storeId, batch)) rowless.set(b.key, b.size);
    batch = [];
  };
  for await (const info of blobs.list(packPrefix(storeId))) {
    const packId = packIdFromKey(info.key);
    if (!packId) continue; // not a pack object: never touched
    batch.push({ key: info.key, packId, size: info.size });
    if (batch.length >= LIST_BATCH) await check();
  }
  if (batch.length) await check();

  // Forget sightings that were resolved (the object is gone or has a row) and record new ones.
  const known = await db.select().from(orphanObjects).where(eq(orphanObjects.storeId, storeId));
  const resolved = known.filter((o) => !rowless.has(o.blobKey)).map((o) => o.blobKey);
  for (let i = 0; i < resolved.length; i += LIST_BATCH) {
    await db.delete(orphanObjects).where(inArray(orphanObjects.blobKey, resolved.slice(i, i + LIST_BATCH)));
  }
  const sighted = [...rowless.keys()];
  for (let i = 0; i < sighted.length; i += LIST_BATCH) {
    const values = sighted.slice(i, i + LIST_BATCH).map((blobKey) => ({ blobKey, storeId }));
    await db.insert(orphanObjects).values(values).onConflictDoNothing();
  }

  let objects = 0;
  let bytes = 0;
  for (const o of known) {
    if (!rowless.has(o.blobKey) || o.firstSeen >= opts.cutoff) continue;
    if (opts.leaseFloor && opts.leaseFloor <= o.firstSeen) continue; // its writer may still be indexing it
    const [gone] = await db
      .delete(orphanObjects)
      .where(
        and(
          eq(orphanObjects.blobKey, o.blobKey),
          lt(orphanObjects.firstSeen, opts.cutoff),
          notExists(db.select({ one: sql`1` }).from(packs).where(and(eq(packs.storeId, storeId), eq(packs.blobKey, o.blobKey)))),
        ),
      )
      .returning({ key: orphanObjects.blobKey });
    if (!gone) continue;
    await blobs.delete(o.blobKey);
    objects++;
    bytes += rowless.get(o.blobKey)!;
  }
  return { objects, bytes };
}
