import { and, eq, inArray, lt, notExists, sql } from "drizzle-orm";
import type { Logger } from "../../lib/logger.js";
import type { BlobStore } from "../blob/blob-store.js";
import { readManifestBody } from "./manifest-repo.js";
import type { Db } from "../db/client.js";
import { chunks, manifests, packs, snapshots, uploads } from "../db/schema/index.js";
import { decodeManifest } from "../engine/manifest.js";

export interface ReclaimReport {
  sessionsExpired: number;
  manifestsDeleted: number;
  chunksDeleted: number;
  packsDeleted: number;
  bytesFreed: number;
}

/**
 * Reclaims storage nothing can reach any more: expired upload sessions, manifests no snapshot
 * uses (left by failed commits), and then chunks and whole packs that no live manifest references.
 *
 * Safety against concurrent writers rests on a grace period: only rows older than `graceMs` are
 * candidates, and a chunk is removed only while its `last_seen` (touched whenever an ingest decides
 * to reuse it) is older than the grace period, checked in the DELETE itself. A pack object is
 * deleted only after every one of its chunks left the index, so no index row ever points at a
 * missing pack. Partially dead packs are kept (their dead bytes are reported by the next rewrite).
 */
export async function reclaimStorage(deps: { db: Db; blobs: BlobStore; log: Logger }, opts: { graceMs: number; now?: Date }): Promise<ReclaimReport> {
  const { db } = deps;
  const now = opts.now ?? new Date();
  const cutoff = new Date(now.getTime() - opts.graceMs);
  const report: ReclaimReport = { sessionsExpired: 0, manifestsDeleted: 0, chunksDeleted: 0, packsDeleted: 0, bytesFreed: 0 };

  const expired = await db
    .update(uploads)
    .set({ state: "EXPIRED", manifest: null, updateTime: now })
    .where(and(eq(uploads.state, "OPEN"), lt(uploads.expireTime, now)))
    .returning({ id: uploads.id });
  report.sessionsExpired = expired.length;
  await db.update(uploads).set({ manifest: null }).where(and(inArray(uploads.state, ["CANCELLED", "COMMITTED"]), lt(uploads.updateTime, cutoff)));

  const orphans = await db
    .delete(manifests)
    .where(
      and(
        lt(manifests.createTime, cutoff),
        notExists(db.select({ one: sql`1` }).from(snapshots).where(and(eq(snapshots.storeId, manifests.storeId), eq(snapshots.contentRef, sql`${manifests.id}::text`)))),
      ),
    )
    .returning({ id: manifests.id });
  report.manifestsDeleted = orphans.length;

  const stores = await db.selectDistinct({ storeId: packs.storeId }).from(packs).where(lt(packs.createTime, cutoff));
  for (const { storeId } of stores) await reclaimStore(deps, storeId, cutoff, report);
  deps.log.info("storage reclaimed", { ...report });
  return report;
}

/** Hex digests of every chunk a manifest or an open upload session of the store uses. */
export async function liveDigests(db: Db, storeId: string): Promise<Set<string>> {
  const live = new Set<string>();
  const add = (body: Uint8Array | null) => {
    if (!body) return;
    for (const e of decodeManifest(body).entries) live.add(e.digest.toHex());
  };
  const stored = await db.select({ id: manifests.id, body: manifests.body }).from(manifests).where(eq(manifests.storeId, storeId));
  for (const m of stored) add(await readManifestBody(db, m.id, m.body));
  for (const u of await db.select({ m: uploads.manifest }).from(uploads).where(and(eq(uploads.storeId, storeId), eq(uploads.state, "OPEN")))) add(u.m);
  return live;
}

async function reclaimStore(deps: { db: Db; blobs: BlobStore }, storeId: string, cutoff: Date, report: ReclaimReport): Promise<void> {
  const { db } = deps;
  const live = await liveDigests(db, storeId);
  const candidates = await db.select().from(packs).where(and(eq(packs.storeId, storeId), lt(packs.createTime, cutoff)));
  for (const pack of candidates) {
    const rows = await db.select({ digest: chunks.digest }).from(chunks).where(and(eq(chunks.storeId, storeId), eq(chunks.packId, pack.packId)));
    const dead = rows.filter((r) => !live.has(Buffer.from(r.digest).toString("hex"))).map((r) => Buffer.from(r.digest));
    if (dead.length === 0) continue;
    const removed = await db
      .delete(chunks)
      .where(and(eq(chunks.storeId, storeId), eq(chunks.packId, pack.packId), inArray(chunks.digest, dead), lt(chunks.lastSeen, cutoff)))
      .returning({ digest: chunks.digest });
    report.chunksDeleted += removed.length;
    const [{ left }] = await db
      .select({ left: sql<number>`count(*)::int` })
      .from(chunks)
      .where(and(eq(chunks.storeId, storeId), eq(chunks.packId, pack.packId)));
    if (left > 0) continue;
    await deps.blobs.delete(pack.blobKey);
    await db.delete(packs).where(and(eq(packs.storeId, storeId), eq(packs.packId, pack.packId)));
    report.packsDeleted++;
    report.bytesFreed += pack.size;
  }
}
