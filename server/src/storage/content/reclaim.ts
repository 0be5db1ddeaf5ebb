import { and, eq, inArray, isNull, lt, notExists, sql, type SQL } from "drizzle-orm";
import type { Logger } from "../../lib/logger.js";
import { readManifestBody } from "./manifest-repo.js";
import type { Db } from "../db/client.js";
import { chunks, manifests, orphanObjects, packs, snapshots, uploads } from "../db/schema/index.js";
import { decodeManifest } from "../engine/manifest.js";
import { sweepOrphanObjects } from "./orphan-objects.js";
import { type RepackDeps, repackPacks } from "./repack.js";

export interface ReclaimReport {
  sessionsExpired: number;
  manifestsDeleted: number;
  chunksDeleted: number;
  packsDeleted: number;
  bytesFreed: number;
  /** Partly dead packs whose live chunks were moved into new packs (retired, deleted after the grace period). */
  packsRepacked: number;
  chunksMoved: number;
  /** Bytes of the new packs that received the moved chunks. */
  bytesRepacked: number;
  /** Ingest leases dropped because their holders stopped renewing them. */
  leasesDropped: number;
  /** Pack objects no pack row named for the whole grace period (orphan-objects.ts). */
  orphanObjectsDeleted: number;
  /** Stores whose reclaim failed this run (logged; the next run retries them). */
  storesFailed: number;
}

export interface ReclaimOptions {
  /** Nothing younger than this is touched, and retired packs are kept this long. */
  graceMs: number;
  now?: Date;
  /** A pack is repacked when its live chunks fill less than this share of it; default 0.5. */
  repackBelowLiveRatio?: number;
  /** Packs repacked per store and run (bounds one run's reading); default 64. */
  maxRepackPacks?: number;
}

type ReclaimDeps = RepackDeps & { log: Logger };

/**
 * Reclaims storage nothing can reach any more: expired upload sessions, manifests no snapshot
 * uses (left by failed commits), and then chunks and whole packs that no live manifest references.
 *
 * Safety against concurrent writers: only rows older than `graceMs` are candidates, and a chunk is
 * removed only while its `last_seen` (touched whenever an ingest decides to reuse it) is older than
 * the grace period and than the start of the store's oldest held ingest lease, checked in the
 * DELETE itself; so an ingest keeps everything it wrote or reused however long it runs
 * (ingest-leases.ts: dead leases are dropped first, and an ingest whose lease was dropped cannot
 * save its manifest). A pack object is
 * deleted only after every one of its chunks left the index, so no index row ever points at a
 * missing pack. A pack whose live chunks fill less than `repackBelowLiveRatio` of it is repacked
 * (repack.ts): its live chunks move to new packs and it is retired, then deleted by a run after the
 * grace period.
 */
export async function reclaimStorage(deps: ReclaimDeps, opts: ReclaimOptions): Promise<ReclaimReport> {
  const { db } = deps;
  const now = opts.now ?? new Date();
  const cutoff = new Date(now.getTime() - opts.graceMs);
  const report: ReclaimReport = {
    sessionsExpired: 0,
    manifestsDeleted: 0,
    chunksDeleted: 0,
    packsDeleted: 0,
    bytesFreed: 0,
    packsRepacked: 0,
    chunksMoved: 0,
    bytesRepacked: 0,
    leasesDropped: 0,
    orphanObjectsDeleted: 0,
    storesFailed: 0,
  };
  // First, before any store's live set is read (see ingest-leases.ts for why this order).
  const stale = await deps.leases.dropStale();
  report.leasesDropped = stale.dropped;

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

  const withPacks = await db.selectDistinct({ storeId: packs.storeId }).from(packs).where(lt(packs.createTime, cutoff));
  const withOrphans = await db.selectDistinct({ storeId: orphanObjects.storeId }).from(orphanObjects);
  // Also the stores of dropped leases: a failed ingest may have left pack objects there that no
  // row names, in a store that has no pack row at all.
  const stores = new Set([...withPacks, ...withOrphans].map((r) => r.storeId).concat(stale.stores));
  for (const storeId of stores) {
    try {
      await reclaimStore(deps, storeId, { ...opts, now, cutoff }, report);
    } catch (err) {
      // One store's failure (its listing, a lost connection) must not stop the others' reclaim.
      report.storesFailed++;
      // A store found through a dropped lease alone has nothing else to make the next run visit it.
      if (stale.stores.includes(storeId)) await deps.leases.markForReclaim(storeId).catch(() => undefined);
      deps.log.error("storage reclaim of a store failed; it is retried by the next run", { storeId, err });
    }
  }
  deps.log.info("storage reclaimed", { ...report });
  return report;
}

/**
 * Hex digests of every chunk a manifest or an open upload session of the store uses, read in one
 * snapshot of the database. Two separate reads could miss a session committed in between: its
 * manifest saved after the manifests were read, its state no longer OPEN when the sessions were.
 */
export async function liveDigests(db: Db, storeId: string): Promise<Set<string>> {
  const live = new Set<string>();
  const add = (body: Uint8Array | null) => {
    if (!body) return;
    for (const e of decodeManifest(body).entries) live.add(e.digest.toHex());
  };
  await db.transaction(
    async (tx) => {
      const open = await tx.select({ m: uploads.manifest }).from(uploads).where(and(eq(uploads.storeId, storeId), eq(uploads.state, "OPEN")));
      const stored = await tx.select({ id: manifests.id, body: manifests.body }).from(manifests).where(eq(manifests.storeId, storeId));
      for (const u of open) add(u.m);
      for (const m of stored) add(await readManifestBody(tx, m.id, m.body));
    },
    { isolationLevel: "repeatable read", accessMode: "read only" },
  );
  return live;
}

async function reclaimStore(
  deps: ReclaimDeps,
  storeId: string,
  opts: ReclaimOptions & { now: Date; cutoff: Date },
  report: ReclaimReport,
): Promise<void> {
  const { db } = deps;
  // Nothing seen or written since the oldest held lease started is a candidate.
  const leaseFloor = await deps.leases.floor(storeId);
  const cutoff = leaseFloor && leaseFloor < opts.cutoff ? leaseFloor : opts.cutoff;
  const inPack = (packId: string) => and(eq(chunks.storeId, storeId), eq(chunks.packId, packId));
  /**
   * Deletes a pack's row, then its object. The row goes only while no index row points at the pack
   * and it is still in the state this run saw (live, or retired before the cutoff): a concurrent
   * run that retired it in between keeps it for the grace period.
   */
  const deletePack = async (pack: { packId: string; blobKey: string; size: number }, state: SQL) => {
    const gone = await db
      .delete(packs)
      .where(and(eq(packs.storeId, storeId), eq(packs.packId, pack.packId), state, notExists(db.select({ one: sql`1` }).from(chunks).where(inPack(pack.packId)))))
      .returning({ packId: packs.packId });
    if (gone.length === 0) return;
    await deps.blobs.delete(pack.blobKey); // if this fails, an unreferenced object is left
    report.packsDeleted++;
    report.bytesFreed += pack.size;
  };

  // Packs retired by an earlier repack, once readers of their old locations have had the grace period.
  const retired = await db.select().from(packs).where(and(eq(packs.storeId, storeId), lt(packs.retireTime, opts.cutoff)));
  for (const pack of retired) await deletePack(pack, lt(packs.retireTime, opts.cutoff));

  const orphans = await sweepOrphanObjects(deps, storeId, { cutoff: opts.cutoff, leaseFloor });
  report.orphanObjectsDeleted += orphans.objects;
  report.bytesFreed += orphans.bytes;

  const live = await liveDigests(db, storeId);
  const candidates = await db
    .select()
    .from(packs)
    .where(and(eq(packs.storeId, storeId), lt(packs.createTime, cutoff), isNull(packs.retireTime)));
  const sparse: string[] = [];
  for (const pack of candidates) {
    const rows = (await db.select({ digest: chunks.digest, length: chunks.length }).from(chunks).where(inPack(pack.packId))).map((r) => ({ ...r, hex: Buffer.from(r.digest).toString("hex") }));
    const dead = rows.filter((r) => !live.has(r.hex)).map((r) => r.digest);
    const removed = dead.length === 0 ? [] : await db
      .delete(chunks)
      .where(and(inPack(pack.packId), inArray(chunks.digest, dead), lt(chunks.lastSeen, cutoff)))
      .returning({ digest: chunks.digest });
    report.chunksDeleted += removed.length;
    // What is left, from the rows in hand: nothing adds rows to an existing pack, and deletePack
    // checks again in SQL that none is left. A pack with nothing dead is still checked for
    // sparseness: one an earlier run left unrepacked (over its limit, or a failed repack) has lost
    // its dead rows already.
    const gone = new Set(removed.map((r) => Buffer.from(r.digest).toString("hex")));
    const left = rows.filter((r) => !gone.has(r.hex));
    if (left.length === 0) await deletePack(pack, isNull(packs.retireTime));
    else if (left.reduce((n, r) => n + r.length, 0) < pack.size * (opts.repackBelowLiveRatio ?? 0.5)) sparse.push(pack.packId);
  }
  const chosen = sparse.slice(0, opts.maxRepackPacks ?? 64);
  if (chosen.length === 0) return;
  try {
    const r = await repackPacks(deps, storeId, chosen, opts.now);
    report.packsRepacked += r.packsRetired;
    report.chunksMoved += r.chunksMoved;
    report.bytesRepacked += r.bytesWritten;
  } catch (err) {
    // A chunk that fails verification keeps its packs as they are; CHECK_STORE reports it.
    deps.log.error("repack failed; the packs are kept", { storeId, err });
  }
}
