import { randomBytes } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import { sql } from "drizzle-orm";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { packKey } from "../src/storage/engine/pack-format.js";
import { dropUnindexedPacks } from "../src/storage/content/pack-rows.js";
import { createIngestLeases } from "../src/storage/content/ingest-leases.js";
import { reclaimStorage } from "../src/storage/content/reclaim.js";
import { createStoreKeys } from "../src/storage/content/store-keys.js";
import { createFaultyBlobStore } from "../src/storage/blob/fault-blob-store.js";
import { createLocalKms, generateDataKey } from "../src/storage/engine/kms.js";
import { silentLogger } from "../src/lib/logger.js";
import { createMemoryHarness, type MemoryHarness } from "./support/memory-client.js";

/** Garbage reclaim: expired sessions, orphaned manifests and dead packs go; live data never does. */
const test = suite<{ h: MemoryHarness }>("reclaim: storage nothing references is removed, live data is kept");

test.before(async (ctx) => {
  ctx.h = await createMemoryHarness(undefined, { VELLUM_PACK_TARGET_BYTES: String(256 * 1024), VELLUM_RECLAIM_INTERVAL_MS: "0" });
});
test.after(async (ctx) => ctx.h.close());

const STORE = "gc";
const audit = { actor: "test:gc", requestId: "gc-test" };

async function packKeys(h: MemoryHarness): Promise<string[]> {
  const keys: string[] = [];
  for await (const b of h.services.blobs.list(`packs/${STORE}/`)) keys.push(b.key);
  return keys.sort();
}

/** The whole content of a snapshot, downloaded. */
async function readAll(h: MemoryHarness, snapshotId: string, storeId = STORE): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const m of h.snapshots.downloadSnapshot({ storeId, snapshotId })) parts.push(m.chunk);
  return Buffer.concat(parts);
}

test("expired session data, force-deleted content and orphans are reclaimed; live snapshots stay readable", async ({ h }) => {
  const { services } = h;
  const live = randomBytes(600_000);
  const liveSnap = (await h.snapshots.createSnapshot({ storeId: STORE, resourceType: "blob", snapshotType: SnapshotType.BLOB, payload: { case: "data", value: live } })).snapshot!;
  const doomed = (await h.snapshots.createSnapshot({ storeId: STORE, resourceType: "blob", snapshotType: SnapshotType.BLOB, payload: { case: "data", value: randomBytes(600_000) } })).snapshot!;
  await h.snapshots.deleteSnapshot({ storeId: STORE, snapshotId: doomed.snapshotId, force: true });

  // A resumable session whose connection broke after 500 KB, then was abandoned.
  const session = await services.uploads.start(
    { spec: { storeId: STORE, resourceType: "blob", resourceId: "", snapshotType: "BLOB", tags: [], labels: {}, metadata: { commitMessage: "", channel: "", locale: "", jobId: "" }, ttlDays: 0, encrypt: false, idempotencyKey: "" }, expected: {} },
    "test",
  );
  const cut = new Error("connection reset");
  await services.uploads
    .append(STORE, session.id, 0, (async function* () { yield randomBytes(500_000); throw cut; })(), { actor: "test", audit })
    .then(() => assert.unreachable("the cut must surface"), (e) => assert.is(e, cut));
  assert.ok((await services.uploads.get(STORE, session.id)).committedSize === 500_000);
  const before = await packKeys(h);

  // With the default grace period nothing recent is touched.
  const early = await services.reclaim({ graceMs: 3600_000 });
  assert.is(early.packsDeleted, 0);
  assert.equal(await packKeys(h), before);

  // Later: the session has expired and everything is older than the grace period.
  await services.database.db.execute(sql`update uploads set expire_time = now() - interval '1 minute'`);
  const later = new Date(Date.now() + 2 * 3600_000);
  const report = await services.reclaim({ graceMs: 3600_000, now: later });
  assert.is(report.sessionsExpired, 1);
  assert.is(report.manifestsDeleted, 1, "the force-deleted snapshot's manifest");
  assert.ok(report.packsDeleted >= 2, `packs deleted: ${report.packsDeleted}`);
  assert.ok(report.bytesFreed >= 1_000_000);
  const after = await packKeys(h);
  assert.ok(after.length < before.length && after.length >= 1);

  // The live snapshot still reads back byte-exact and verifies.
  assert.ok((await readAll(h, liveSnap.snapshotId)).equals(live));
  const resumed = await ConnectError.from(
    await h.snapshots.getSnapshot({ storeId: STORE, snapshotId: doomed.snapshotId }).catch((e) => e),
  );
  assert.is(resumed.code, Code.NotFound);
  assert.is((await services.uploads.get(STORE, session.id)).state, "EXPIRED");

  // Re-uploading the live content now dedups against the kept chunks (nothing new stored).
  const again = (await h.snapshots.createSnapshot({ storeId: STORE, resourceType: "blob", snapshotType: SnapshotType.BLOB, payload: { case: "data", value: live } })).snapshot!;
  assert.is(again.storedSize, 0n);
});

test("a chunk an ingest just decided to reuse is never deleted, even when unreferenced", async ({ h }) => {
  const { services } = h;
  const data = randomBytes(300_000);
  const s = (await h.snapshots.createSnapshot({ storeId: STORE, resourceType: "blob", snapshotType: SnapshotType.BLOB, payload: { case: "data", value: data } })).snapshot!;
  await h.snapshots.deleteSnapshot({ storeId: STORE, snapshotId: s.snapshotId, force: true });
  // Everything is old ...
  await services.database.db.execute(sql`update chunks set last_seen = now() - interval '3 hours', create_time = now() - interval '3 hours'`);
  await services.database.db.execute(sql`update packs set create_time = now() - interval '3 hours'`);
  await services.database.db.execute(sql`update manifests set create_time = now() - interval '3 hours'`);
  // ... but an ingest has just asked for these chunks (FindMissingChunks touches what it finds) and
  // has not committed its manifest yet: nothing references them, yet they must survive.
  const rows = await services.database.db.execute<{ digest: Buffer }>(sql`select digest from chunks where store_id = ${STORE}`);
  const digests = rows.map((r) => new Uint8Array(r.digest));
  assert.is((await services.uploads.findMissing(STORE, digests, false)).length, 0);
  const r = await services.reclaim({ graceMs: 3600_000 });
  assert.is(r.chunksDeleted, 0);
  assert.is(r.manifestsDeleted, 1);
  const reuse = (await h.snapshots.createSnapshot({ storeId: STORE, resourceType: "blob", snapshotType: SnapshotType.BLOB, payload: { case: "data", value: data } })).snapshot!;
  assert.is(reuse.storedSize, 0n);
  assert.ok((await readAll(h, reuse.snapshotId)).equals(data));
});

for (const encrypt of [false, true]) {
  test(`a partly dead pack is repacked (${encrypt ? "encrypted" : "plaintext"}): live chunks move, the old pack is deleted after the grace period`, async ({ h }) => {
    const { services } = h;
    const store = encrypt ? "gc-repack-enc" : "gc-repack";
    const db = services.database.db;
    const create = async (data: Buffer) =>
      (await h.snapshots.createSnapshot({ storeId: store, resourceType: "blob", snapshotType: SnapshotType.BLOB, encrypt, payload: { case: "data", value: data } })).snapshot!;
    const download = (snapshotId: string) => readAll(h, snapshotId, store);
    const packsOf = async () =>
      (await db.execute<{ pack_id: string; retired: boolean; rows: number }>(sql`
        select p.pack_id, p.retire_time is not null as retired, (select count(*)::int from chunks c where c.store_id = p.store_id and c.pack_id = p.pack_id) as rows
        from packs p where p.store_id = ${store}`)).map((r) => ({ ...r }));
    // One pack holds both halves; a second snapshot keeps the first half alive.
    const kept = randomBytes(100_000);
    const both = await create(Buffer.concat([kept, randomBytes(150_000)]));
    const [shared] = await packsOf();
    const survivor = await create(kept);
    await h.snapshots.deleteSnapshot({ storeId: store, snapshotId: both.snapshotId, force: true });

    const later = new Date(Date.now() + 2 * 3600_000);
    const first = await services.reclaim({ graceMs: 3600_000, now: later });
    assert.ok(first.chunksDeleted >= 1, `chunks deleted: ${first.chunksDeleted}`);
    assert.ok(first.packsRepacked >= 1 && first.chunksMoved >= 1, JSON.stringify(first));
    const retired = (await packsOf()).find((p) => p.pack_id === shared.pack_id)!;
    assert.equal({ retired: retired.retired, rows: retired.rows }, { retired: true, rows: 0 }, "retired, nothing points at it");
    assert.ok((await services.blobs.stat(packKey(store, shared.pack_id))) !== undefined, "kept during the grace period");
    assert.ok((await download(survivor.snapshotId)).equals(kept), "reads from the new pack");

    const second = await services.reclaim({ graceMs: 3600_000, now: new Date(later.getTime() + 2 * 3600_000) });
    assert.ok(second.packsDeleted >= 1);
    assert.is(await services.blobs.stat(packKey(store, shared.pack_id)), undefined, "deleted after the grace period");
    assert.ok((await packsOf()).every((p) => !p.retired && p.rows > 0), "only live packs are left");
    assert.ok((await download(survivor.snapshotId)).equals(kept));
    const again = await create(kept);
    assert.is(again.storedSize, 0n, "the moved chunks still dedup");
  });
}

test("a sparse pack left unrepacked by one run (over its repack limit) is repacked by the next, though it has no dead rows left", async ({ h }) => {
  const { services } = h;
  const store = "gc-repack-later";
  const create = async (data: Buffer) =>
    (await h.snapshots.createSnapshot({ storeId: store, resourceType: "blob", snapshotType: SnapshotType.BLOB, payload: { case: "data", value: data } })).snapshot!;
  const kept = randomBytes(100_000);
  const both = await create(Buffer.concat([kept, randomBytes(150_000)]));
  const survivor = await create(kept);
  await h.snapshots.deleteSnapshot({ storeId: store, snapshotId: both.snapshotId, force: true });
  const later = new Date(Date.now() + 2 * 3600_000);
  const first = await services.reclaim({ graceMs: 3600_000, now: later, maxRepackPacks: 0 });
  assert.ok(first.chunksDeleted >= 1);
  assert.is(first.packsRepacked, 0, "over the limit: left for a later run");
  const second = await services.reclaim({ graceMs: 3600_000, now: later });
  assert.ok(second.packsRepacked >= 1, JSON.stringify(second));
  assert.ok((await readAll(h, survivor.snapshotId, store)).equals(kept));
});

test("a durable pack whose indexing failed is deleted only when it has no row", async ({ h }) => {
  const { services } = h;
  const store = "gc-unindexed";
  const snap = (await h.snapshots.createSnapshot({ storeId: store, resourceType: "blob", snapshotType: SnapshotType.BLOB, payload: { case: "data", value: randomBytes(50_000) } })).snapshot!;
  const [indexed] = await services.database.db.execute<{ pack_id: string }>(sql`select pack_id from packs where store_id = ${store}`);
  const orphanId = "ab".repeat(16);
  await services.blobs.put(packKey(store, orphanId), randomBytes(1000));
  await dropUnindexedPacks(services.database.db, services.blobs, store, [
    { packId: indexed.pack_id, key: packKey(store, indexed.pack_id) },
    { packId: orphanId, key: packKey(store, orphanId) },
  ]);
  assert.ok((await services.blobs.stat(packKey(store, indexed.pack_id))) !== undefined, "a pack with a row stays");
  assert.is(await services.blobs.stat(packKey(store, orphanId)), undefined, "an object without a row goes");
  assert.is((await readAll(h, snap.snapshotId, store)).length, 50_000);
});

const chunkRows = async (h: MemoryHarness, store: string) =>
  (await h.services.database.db.execute<{ n: number }>(sql`select count(*)::int as n from chunks where store_id = ${store}`))[0].n;

/** The store's chunk digests (hex) that match `where` (default: all). */
const chunkDigests = async (h: MemoryHarness, store: string, where = sql`true`) =>
  new Set((await h.services.database.db.execute<{ d: string }>(sql`select encode(digest, 'hex') as d from chunks where store_id = ${store} and ${where}`)).map((r) => r.d));

const missingFrom = (kept: Set<string>, wanted: Iterable<string>) => [...wanted].filter((d) => !kept.has(d)).length;

/**
 * A paused UploadSnapshot into `store` that has made packs durable and indexed them: it waits until
 * `rows` (default: the store's chunk rows) is positive and stops changing.
 */
async function pausedUpload(h: MemoryHarness, store: string, data: Buffer, rows = () => chunkRows(h, store)) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const split = data.length - 100_000;
  const done = h.snapshots.uploadSnapshot(
    (async function* () {
      yield { msg: { case: "header" as const, value: { storeId: store, resourceType: "blob", snapshotType: SnapshotType.BLOB } } };
      yield { msg: { case: "chunk" as const, value: data.subarray(0, split) } };
      await gate;
      yield { msg: { case: "chunk" as const, value: data.subarray(split) } };
    })(),
  );
  done.catch(() => undefined); // observed by the test
  // Wait until it has indexed packs and then stalls at the gate (its row count stops changing for
  // a second). A busy machine can still pause an upload that long between batches, so the tests
  // below assert on the chunks they saw, not on counts.
  let last = -1;
  for (let i = 0, same = 0; same < 5; i++) {
    const n = await rows();
    same = n > 0 && n === last ? same + 1 : 0;
    if (i > 150) throw new Error("the upload did not settle");
    last = n;
    await new Promise((r) => setTimeout(r, 200));
  }
  return { done, release };
}

/** Makes the store's upload look four hours long, everything it wrote three hours old. */
async function ageUpload(h: MemoryHarness, store: string, leaseRenewedAgo = "0 minutes") {
  const db = h.services.database.db;
  await db.execute(sql`update ingest_leases set start_time = now() - interval '4 hours', renew_time = now() - ${leaseRenewedAgo}::interval where store_id = ${store}`);
  await db.execute(sql`update chunks set last_seen = now() - interval '3 hours', create_time = now() - interval '3 hours' where store_id = ${store}`);
  await db.execute(sql`update packs set create_time = now() - interval '3 hours' where store_id = ${store}`);
}

test("an upload running longer than the grace period keeps every chunk it wrote (its ingest lease)", async ({ h }) => {
  const store = "gc-lease";
  const data = randomBytes(12_000_000);
  const { done, release } = await pausedUpload(h, store, data);
  await ageUpload(h, store);
  const aged = await chunkDigests(h, store);
  assert.ok(aged.size > 0);
  const r = await h.services.reclaim({ graceMs: 3600_000 });
  assert.is(r.leasesDropped, 0);
  assert.is(missingFrom(await chunkDigests(h, store), aged), 0, "no chunk of the running upload was deleted");
  release();
  const snap = (await done).snapshot!;
  assert.ok((await readAll(h, snap.snapshotId, store)).equals(data), "byte-exact after the reclaim");
});

test("chunks a running upload reused from old packs are kept while its lease is held, however long ago it touched them", async ({ h }) => {
  const store = "gc-lease-reuse";
  const db = h.services.database.db;
  const data = randomBytes(12_000_000);
  const first = (await h.snapshots.createSnapshot({ storeId: store, resourceType: "blob", snapshotType: SnapshotType.BLOB, payload: { case: "data", value: data } })).snapshot!;
  await h.snapshots.deleteSnapshot({ storeId: store, snapshotId: first.snapshotId, force: true });
  // Its chunks are dead and five hours old, in five-hour-old packs: reclaim candidates.
  await db.execute(sql`update chunks set last_seen = now() - interval '5 hours', create_time = now() - interval '5 hours' where store_id = ${store}`);
  await db.execute(sql`update packs set create_time = now() - interval '5 hours' where store_id = ${store}`);
  await db.execute(sql`update manifests set create_time = now() - interval '5 hours' where store_id = ${store}`);
  const rows = await chunkRows(h, store);
  // A new upload of the same bytes reuses (and touches) them, then stalls.
  const { done, release } = await pausedUpload(h, store, data, async () =>
    (await h.services.database.db.execute<{ n: number }>(sql`select count(*)::int as n from chunks where store_id = ${store} and last_seen > now() - interval '1 hour'`))[0].n,
  );
  // It started four hours ago and touched them three hours ago: older than the grace period, newer than its lease.
  await db.execute(sql`update ingest_leases set start_time = now() - interval '4 hours' where store_id = ${store}`);
  const touched = new Set(
    (await db.execute<{ d: string }>(sql`update chunks set last_seen = now() - interval '3 hours' where store_id = ${store} and last_seen > now() - interval '1 hour' returning encode(digest, 'hex') as d`)).map((r) => r.d),
  );
  assert.ok(touched.size > 0 && touched.size < rows, `${touched.size} of ${rows} reused before the stall`);
  await h.services.reclaim({ graceMs: 3600_000 });
  assert.is(missingFrom(await chunkDigests(h, store), touched), 0, "every reused chunk stays");
  const untouchedOld = [...(await chunkDigests(h, store, sql`last_seen < now() - interval '1 hour'`))].filter((d) => !touched.has(d));
  assert.is(untouchedOld.length, 0, "the ones it has not reached yet go");
  release();
  const snap = (await done).snapshot!; // the rest is written anew
  assert.ok((await readAll(h, snap.snapshotId, store)).equals(data));
});

test("an upload whose lease went stale loses its chunks to reclaim and cannot commit (ABORTED)", async ({ h }) => {
  const store = "gc-lease-stale";
  const { done, release } = await pausedUpload(h, store, randomBytes(12_000_000));
  await ageUpload(h, store, "10 minutes"); // not renewed for longer than a lease lives
  const aged = await chunkDigests(h, store);
  const r = await h.services.reclaim({ graceMs: 3600_000 });
  assert.ok(r.leasesDropped >= 1);
  const afterReclaim = await chunkDigests(h, store);
  assert.is(aged.size - missingFrom(afterReclaim, aged), 0, "without a lease, three-hour-old unreferenced chunks go");
  release();
  const err = ConnectError.from(await done.then(() => assert.unreachable("the commit must fail"), (e) => e));
  assert.is(err.code, Code.Aborted);
  assert.match(err.message, /lease/);
  assert.is(missingFrom(afterReclaim, await chunkDigests(h, store)), 0, "the packs it wrote after its lease was dropped were not indexed");
  const [{ n }] = await h.services.database.db.execute<{ n: number }>(sql`select count(*)::int as n from snapshots where store_id = ${store}`);
  assert.is(n, 0, "no snapshot points at missing chunks");
});

test("a pack object without a row is deleted only after it was seen rowless for the grace period and no older lease is held", async ({ h }) => {
  const { services } = h;
  const store = "gc-orphan";
  const db = services.database.db;
  const snap = (await h.snapshots.createSnapshot({ storeId: store, resourceType: "blob", snapshotType: SnapshotType.BLOB, payload: { case: "data", value: randomBytes(50_000) } })).snapshot!;
  const orphan = packKey(store, "cd".repeat(16));
  const other = `packs/${store}/notes.txt`; // under the prefix but not a pack key: never touched
  await services.blobs.put(orphan, randomBytes(1000));
  await services.blobs.put(other, randomBytes(10));
  const later = () => new Date(Date.now() + 2 * 3600_000);
  const exists = async (key: string) => (await services.blobs.stat(key)) !== undefined;

  const first = await services.reclaim({ graceMs: 3600_000, now: later() });
  assert.is(first.orphanObjectsDeleted, 0, "the first sighting only records it");
  assert.ok(await exists(orphan));
  const early = await services.reclaim({ graceMs: 3600_000 });
  assert.is(early.orphanObjectsDeleted, 0, "not yet seen for the grace period");

  // A lease older than the sighting may belong to the object's writer, still about to index it.
  await db.execute(sql`insert into ingest_leases (id, store_id, start_time) values (gen_random_uuid(), ${store}, now() - interval '1 day')`);
  const held = await services.reclaim({ graceMs: 3600_000, now: later() });
  assert.is(held.orphanObjectsDeleted, 0);
  assert.ok(await exists(orphan));
  await db.execute(sql`delete from ingest_leases where store_id = ${store}`);

  const last = await services.reclaim({ graceMs: 3600_000, now: later() });
  assert.is(last.orphanObjectsDeleted, 1);
  assert.not.ok(await exists(orphan));
  assert.ok(await exists(other));
  assert.is((await readAll(h, snap.snapshotId, store)).length, 50_000, "the indexed pack stays");
  const [{ n }] = await db.execute<{ n: number }>(sql`select count(*)::int as n from orphan_objects where store_id = ${store}`);
  assert.is(n, 0, "no sighting is left behind");
});

test("a store with no pack row is still swept when a failed operation's lease on it goes stale, also after a failed run", async ({ h }) => {
  const { services } = h;
  const store = "gc-first-upload-failed";
  const db = services.database.db;
  // What a first upload into a new store leaves when its pack became durable but indexing it failed
  // (the database unreachable): an object and the operation's lease, left stale.
  const orphan = packKey(store, "ef".repeat(16));
  await services.blobs.put(orphan, randomBytes(1000));
  await db.execute(sql`insert into ingest_leases (id, store_id, start_time, renew_time) values (gen_random_uuid(), ${store}, now() - interval '1 hour', now() - interval '1 hour')`);
  const sightings = async () => (await db.execute<{ n: number }>(sql`select count(*)::int as n from orphan_objects where store_id = ${store}`))[0].n;
  const leaseRows = async () => (await db.execute<{ n: number }>(sql`select count(*)::int as n from ingest_leases where store_id = ${store}`))[0].n;
  const later = () => new Date(Date.now() + 2 * 3600_000);

  // A run whose listing of that store fails: it must come back to the store next time.
  const listingFails = createFaultyBlobStore(services.blobs, [{ op: "list", key: `packs/${store}/`, fault: { kind: "error" } }]);
  const deps = { db, blobs: listingFails, keys: createStoreKeys(db, createLocalKms(generateDataKey(), "test")), leases: createIngestLeases(db), log: silentLogger };
  const failed = await reclaimStorage(deps, { graceMs: 3600_000, now: later() });
  assert.ok(failed.leasesDropped >= 1);
  assert.is(failed.storesFailed, 1);
  assert.is(listingFails.injected.length, 1);
  assert.is(await sightings(), 0);
  assert.is(await leaseRows(), 1, "a stale marker stands in for the dropped lease");

  const first = await services.reclaim({ graceMs: 3600_000, now: later() });
  assert.is(first.storesFailed, 0);
  assert.is(await sightings(), 1, "dropping the marker made reclaim visit the store and record the object");
  assert.is(await leaseRows(), 0);

  const second = await services.reclaim({ graceMs: 3600_000, now: later() });
  assert.is(second.orphanObjectsDeleted, 1, "the sighting keeps the store visited until the object goes");
  assert.is(await services.blobs.stat(orphan), undefined);
  assert.is(await sightings(), 0);
});

test.run();
