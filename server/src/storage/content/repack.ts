/**
 * Repacking (compaction) of partly dead packs, the second half of reclaim: the live chunks of the
 * given packs are read back (every one verified), re-encoded and written into new packs; then, in
 * one transaction, the new packs are recorded, the index rows still pointing at an old pack move to
 * the new locations, and each old pack that no row points at any more is retired. A retired pack's
 * object is deleted by a later reclaim once the grace period has passed, so a download that looked
 * up an old location just before the move still finds its bytes.
 *
 * Concurrency: an index row moves only if it still points at the pack it was read from, so a row
 * that changed meanwhile (deleted as dead, or moved by a concurrent repack) is left alone, and the
 * copy written here is only dead bytes in a new pack (reclaimed later like any dead chunk). A chunk
 * that fails verification stops the repack before anything moves: its pack is kept, and the error
 * is reported, because copying would only hide the damage from the check job.
 */
import { and, eq, inArray, isNull, notExists, sql } from "drizzle-orm";
import type { BlobStore } from "../blob/blob-store.js";
import type { Db } from "../db/client.js";
import { chunks, packs } from "../db/schema/index.js";
import { createChunkReader } from "../engine/chunk-reader.js";
import { addChunkRecord } from "../engine/chunk-record.js";
import { createPackWriter } from "../engine/pack-writer.js";
import { codecFromId, type ChunkLocation } from "../engine/types.js";
import { Sha256 } from "../../domain/digest.js";
import type { IngestLease, IngestLeases } from "./ingest-leases.js";
import { dropUnindexedPacks } from "./pack-rows.js";
import { createPgChunkIndex } from "./pg-chunk-index.js";
import type { StoreKeys } from "./store-keys.js";

export interface RepackDeps {
  db: Db;
  blobs: BlobStore;
  keys: StoreKeys;
  /** A repack writes packs like an ingest, so it holds a lease too (orphan-objects.ts relies on it). */
  leases: IngestLeases;
  packTargetBytes?: number;
}

export interface RepackResult {
  chunksMoved: number;
  packsWritten: number;
  bytesWritten: number;
  packsRetired: number;
}

const rowKey = (l: { digest: Sha256; encrypted: boolean }) => `${l.digest.key()}${l.encrypted ? 1 : 0}`;

/** Moves the live chunks of `packIds` (packs of `storeId`) into new packs and retires the old ones. */
export function repackPacks(deps: RepackDeps, storeId: string, packIds: string[], now: Date): Promise<RepackResult> {
  return deps.leases.hold(storeId, (lease) => repackUnderLease(deps, lease, packIds, now));
}

async function repackUnderLease(deps: RepackDeps, lease: IngestLease, packIds: string[], now: Date): Promise<RepackResult> {
  const { db } = deps;
  const { storeId } = lease;
  const rows = await db
    .select()
    .from(chunks)
    .where(and(eq(chunks.storeId, storeId), inArray(chunks.packId, packIds)))
    .orderBy(chunks.packId, chunks.offset);
  const locations: ChunkLocation[] = rows.map((r) => ({
    digest: Sha256.fromBytes(r.digest),
    packId: r.packId,
    offset: r.offset,
    length: r.length,
    plainSize: r.plainSize,
    codec: codecFromId(r.codec) ?? "raw",
    encrypted: r.encrypted,
  }));
  const from = new Map(locations.map((l) => [rowKey(l), l.packId]));
  const dataKey = await deps.keys.find(storeId);
  const reader = createChunkReader({ blobStore: deps.blobs, storeId, dataKey });
  const writer = createPackWriter({ blobStore: deps.blobs, storeId, targetBytes: deps.packTargetBytes });
  let written;
  try {
    let i = 0;
    for await (const plain of reader.readInOrder(locations)) {
      const l = locations[i++];
      // A plaintext record stays plaintext, even in a store that has a key.
      await addChunkRecord(writer, { digest: l.digest, plainSize: l.plainSize, plain }, { storeId, dataKey: l.encrypted ? dataKey : undefined, encode: { compress: true } });
    }
    written = await writer.finish();
  } catch (err) {
    await writer.abort();
    throw err;
  }
  const moved = written.flatMap((p) => p.locations);
  const retired = await db.transaction(async (tx) => {
    await lease.fence(tx);
    if (written.length) await tx.insert(packs).values(written.map((p) => ({ storeId, packId: p.packId, blobKey: p.key, size: p.size })));
    await createPgChunkIndex(tx, { encrypted: false }).relocate(storeId, moved, (l) => from.get(rowKey(l))!);
    return tx
      .update(packs)
      .set({ retireTime: now })
      .where(
        and(
          eq(packs.storeId, storeId),
          inArray(packs.packId, packIds),
          isNull(packs.retireTime),
          notExists(tx.select({ one: sql`1` }).from(chunks).where(and(eq(chunks.storeId, storeId), eq(chunks.packId, packs.packId)))),
        ),
      )
      .returning({ packId: packs.packId });
  }).catch(async (err: unknown) => {
    await dropUnindexedPacks(db, deps.blobs, storeId, written).catch(() => undefined);
    throw err;
  });
  return {
    chunksMoved: moved.length,
    packsWritten: written.length,
    bytesWritten: written.reduce((n, p) => n + p.size, 0),
    packsRetired: retired.length,
  };
}
