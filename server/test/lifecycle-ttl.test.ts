import { randomBytes } from "node:crypto";
import { Code } from "@connectrpc/connect";
import { sql } from "drizzle-orm";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { SnapshotState, SnapshotType, type Snapshot } from "../../gen/vellum/v1/snapshot_pb.js";
import { expectError } from "./support/expect-error.js";
import { createMemoryHarness, type MemoryHarness } from "./support/memory-client.js";
import { DAY_MS, retentionClients } from "./support/retention-fixtures.js";

/**
 * TTL expiry, undelete within the window, purge after it, then the storage reclaim sweep: on an
 * injected clock (the lifecycle pass takes `now`), through the RPC path for everything a client does.
 */
const test = suite<{ h: MemoryHarness; c: ReturnType<typeof retentionClients> }>("lifecycle: TTL, undelete window, purge, reclaim");

const STORE = "ttl";
const WINDOW_MS = 2000;

test.before(async (ctx) => {
  ctx.h = await createMemoryHarness(undefined, {
    VELLUM_RECLAIM_INTERVAL_MS: "0",
    VELLUM_LIFECYCLE_INTERVAL_MS: "0",
    VELLUM_UNDELETE_WINDOW: "2s",
    VELLUM_PACK_TARGET_BYTES: String(256 * 1024),
  });
  ctx.c = retentionClients(ctx.h);
});
test.after(async (ctx) => ctx.h.close());

const create = async (h: MemoryHarness, body: Uint8Array, opts: { ttlDays?: number; resourceId?: string } = {}) =>
  (
    await h.snapshots.createSnapshot({
      storeId: STORE,
      resourceType: "dump",
      resourceId: opts.resourceId ?? "",
      snapshotType: SnapshotType.BLOB,
      ttlDays: opts.ttlDays ?? 0,
      payload: { case: "data", value: body },
    })
  ).snapshot!;
const get = async (h: MemoryHarness, s: Snapshot) => (await h.snapshots.getSnapshot({ storeId: STORE, snapshotId: s.snapshotId })).snapshot!;
const readAll = async (h: MemoryHarness, s: Snapshot) => {
  const parts: Uint8Array[] = [];
  for await (const m of h.snapshots.downloadSnapshot({ storeId: STORE, snapshotId: s.snapshotId })) parts.push(m.chunk);
  return Buffer.concat(parts);
};
const reason = async (p: Promise<unknown>) => {
  const e = await expectError(p);
  return `${Code[e.code]} ${e.findDetails(ErrorInfoSchema)[0]?.reason ?? ""}`.trim();
};

test("expiry soft-deletes due snapshots (held, pinned and locked ones wait); undelete within the window; purge after it; reclaim frees exactly the unreferenced chunks", async ({ h, c }) => {
  const a = randomBytes(300_000);
  const live = await create(h, a, { resourceId: "live" });
  const expiring = await create(h, Buffer.concat([a, randomBytes(300_000)]), { ttlDays: 1, resourceId: "exp" });
  const undeleted = await create(h, randomBytes(200_000), { ttlDays: 1 });
  const held = await create(h, randomBytes(200_000), { ttlDays: 1 });
  const pinned = await create(h, randomBytes(1000), { ttlDays: 1 });
  const locked = await create(h, randomBytes(1000), { ttlDays: 1 });
  await c.admin.setLegalHold({ storeId: STORE, snapshotId: held.snapshotId, reason: "case 7" });
  await c.admin.pinSnapshot({ storeId: STORE, snapshotId: pinned.snapshotId });
  await c.admin.lockSnapshot({ storeId: STORE, snapshotId: locked.snapshotId });

  // Nothing is due yet.
  assert.equal(await h.services.retention.lifecyclePass(new Date()), { expired: 0, purged: 0 });
  const t1 = new Date(Date.now() + 2 * DAY_MS);
  assert.equal(await h.services.retention.lifecyclePass(t1), { expired: 2, purged: 0 });
  const gone = await get(h, expiring);
  assert.is(gone.state, SnapshotState.DELETED);
  assert.is(Number(gone.deleteTime!.seconds), Math.floor(t1.getTime() / 1000));
  assert.is(Number(gone.purgeTime!.seconds) * 1000 + gone.purgeTime!.nanos / 1e6, t1.getTime() + WINDOW_MS);
  for (const s of [held, pinned, locked]) assert.is((await get(h, s)).state, SnapshotState.ACTIVE, "protected snapshots ignore TTL");
  const events = await c.audit.listAuditEvents({ storeId: STORE, action: "snapshot.expire" });
  assert.equal(events.events.map((e) => e.resourceId).sort(), [expiring.snapshotId, undeleted.snapshotId].sort());
  assert.ok(events.events.every((e) => e.actor === "system:lifecycle"));

  // Within the window (the injected expiry put its end in the future): back, without its expiry.
  const back = (await h.snapshots.undeleteSnapshot({ storeId: STORE, snapshotId: undeleted.snapshotId })).snapshot!;
  assert.equal({ state: back.state, expire: back.expireTime, deleted: back.deleteTime, purge: back.purgeTime }, { state: SnapshotState.ACTIVE, expire: undefined, deleted: undefined, purge: undefined });
  assert.is((await h.snapshots.undeleteSnapshot({ storeId: STORE, snapshotId: undeleted.snapshotId })).snapshot!.etag, back.etag, "undeleting an ACTIVE snapshot changes nothing");
  assert.equal(await h.services.retention.lifecyclePass(t1), { expired: 0, purged: 0 }, "it does not expire again");
  assert.ok((await readAll(h, back)).length === 200_000);

  // After the window: purged, with its versions.
  const t2 = new Date(t1.getTime() + DAY_MS);
  assert.equal(await h.services.retention.lifecyclePass(t2), { expired: 0, purged: 1 });
  assert.is((await expectError(h.snapshots.getSnapshot({ storeId: STORE, snapshotId: expiring.snapshotId }))).code, Code.NotFound);
  assert.is((await expectError(h.snapshots.undeleteSnapshot({ storeId: STORE, snapshotId: expiring.snapshotId }))).code, Code.NotFound);
  assert.is((await h.versions.listVersions({ storeId: STORE, resourceType: "dump", resourceId: "exp" })).versions.length, 0);
  const purges = await c.audit.listAuditEvents({ storeId: STORE, action: "snapshot.purge" });
  assert.equal(purges.events.map((e) => e.resourceId), [expiring.snapshotId]);

  // The sweep then frees 100% of the chunks nothing references any more and 0 chunks of any snapshot.
  const db = h.services.database.db;
  const stored = async () => new Set((await db.execute<{ d: string }>(sql`select encode(digest, 'hex') as d from chunks where store_id = ${STORE}`)).map((r) => r.d));
  const referenced = new Set<string>();
  for (const s of (await h.snapshots.listSnapshots({ storeId: STORE, showDeleted: true })).snapshots) {
    const row = { storeId: STORE, contentRef: (await db.execute<{ r: string }>(sql`select content_ref as r from snapshots where id = ${s.snapshotId}`))[0].r };
    for (const e of (await h.services.content.manifestOf(row)).entries) referenced.add(e.digest.toHex());
  }
  const before = await stored();
  const unreferenced = [...before].filter((d) => !referenced.has(d));
  assert.ok(unreferenced.length >= 5, `the purged snapshot's own chunks are unreferenced (${unreferenced.length})`);
  assert.ok([...referenced].every((d) => before.has(d)));
  await h.services.reclaim({ graceMs: 3600_000, now: new Date(Date.now() + 3 * 3600_000) });
  assert.equal([...(await stored())].sort(), [...referenced].sort(), "exactly the referenced chunks remain");
  assert.ok((await readAll(h, live)).equals(a), "the live snapshot sharing the purged one's prefix reads back byte-exact");
  assert.is((await readAll(h, held)).length, 200_000);
});

test("undelete works until purge_time and is refused after it; then the pass purges", async ({ h }) => {
  const s = await create(h, randomBytes(1000));
  const deleted = (await h.snapshots.deleteSnapshot({ storeId: STORE, snapshotId: s.snapshotId })).snapshot!;
  assert.is(deleted.state, SnapshotState.DELETED);
  assert.is(Number(deleted.purgeTime!.seconds - deleted.deleteTime!.seconds), WINDOW_MS / 1000);
  assert.is(await reason(h.snapshots.undeleteSnapshot({ storeId: STORE, snapshotId: s.snapshotId, etag: s.etag })), "Aborted ETAG_MISMATCH");
  await h.snapshots.undeleteSnapshot({ storeId: STORE, snapshotId: s.snapshotId, etag: deleted.etag });
  await h.snapshots.deleteSnapshot({ storeId: STORE, snapshotId: s.snapshotId });
  await new Promise((r) => setTimeout(r, WINDOW_MS + 100));
  assert.is(await reason(h.snapshots.undeleteSnapshot({ storeId: STORE, snapshotId: s.snapshotId })), "FailedPrecondition UNDELETE_WINDOW_PASSED");
  assert.ok((await h.services.retention.lifecyclePass()).purged >= 1);
  assert.is((await expectError(h.snapshots.getSnapshot({ storeId: STORE, snapshotId: s.snapshotId }))).code, Code.NotFound);
});

test("a held soft-deleted snapshot is not purged until the hold is released", async ({ h, c }) => {
  const s = await create(h, randomBytes(1000));
  await h.snapshots.deleteSnapshot({ storeId: STORE, snapshotId: s.snapshotId });
  const held = (await c.admin.setLegalHold({ storeId: STORE, snapshotId: s.snapshotId, reason: "litigation" })).snapshot!;
  assert.equal({ state: held.state, held: held.held, reason: held.legalHold?.reason }, { state: SnapshotState.DELETED, held: true, reason: "litigation" });
  const later = new Date(Date.now() + DAY_MS);
  await h.services.retention.lifecyclePass(later);
  assert.ok((await get(h, s)).held, "still there");
  await c.admin.releaseLegalHold({ storeId: STORE, snapshotId: s.snapshotId });
  assert.ok((await h.services.retention.lifecyclePass(later)).purged >= 1);
  assert.is((await expectError(h.snapshots.getSnapshot({ storeId: STORE, snapshotId: s.snapshotId }))).code, Code.NotFound);
});

test.run();
