import { randomBytes } from "node:crypto";
import { Code } from "@connectrpc/connect";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { BadRequestSchema, ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { RetentionReasonKind } from "../../gen/vellum/v1/retention_pb.js";
import { SnapshotState, SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { expectError } from "./support/expect-error.js";
import { createMemoryHarness, type MemoryHarness } from "./support/memory-client.js";
import { DAY_MS, retentionClients, snapshotAged } from "./support/retention-fixtures.js";

/** Pins and locks with reasons and expiry, legal holds, and the deletions they refuse. */
const test = suite<{ h: MemoryHarness; c: ReturnType<typeof retentionClients> }>("lifecycle: pins, locks and legal holds protect, and expire");

const STORE = "protect";

test.before(async (ctx) => {
  ctx.h = await createMemoryHarness(undefined, { VELLUM_RECLAIM_INTERVAL_MS: "0", VELLUM_LIFECYCLE_INTERVAL_MS: "0" });
  ctx.c = retentionClients(ctx.h);
});
test.after(async (ctx) => ctx.h.close());

const blob = async (h: MemoryHarness, ttlDays = 0) =>
  (await h.snapshots.createSnapshot({ storeId: STORE, resourceType: "doc", snapshotType: SnapshotType.BLOB, ttlDays, payload: { case: "data", value: randomBytes(64) } })).snapshot!;
const refusal = async (p: Promise<unknown>) => {
  const e = await expectError(p);
  return `${Code[e.code]} ${e.findDetails(ErrorInfoSchema)[0]?.reason ?? ""}`;
};
const fields = async (p: Promise<unknown>) => (await expectError(p)).findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field));

test("DeleteSnapshot, with or without force, is refused for pinned, locked and held snapshots", async ({ h, c }) => {
  const pinned = await blob(h);
  const locked = await blob(h);
  const held = await blob(h);
  await c.admin.pinSnapshot({ storeId: STORE, snapshotId: pinned.snapshotId, reason: "release 1.0" });
  await c.admin.lockSnapshot({ storeId: STORE, snapshotId: locked.snapshotId, reason: "migration" });
  await c.admin.setLegalHold({ storeId: STORE, snapshotId: held.snapshotId, reason: "case 1" });
  for (const force of [false, true]) {
    assert.is(await refusal(h.snapshots.deleteSnapshot({ storeId: STORE, snapshotId: pinned.snapshotId, force })), "FailedPrecondition SNAPSHOT_PINNED");
    assert.is(await refusal(h.snapshots.deleteSnapshot({ storeId: STORE, snapshotId: locked.snapshotId, force })), "FailedPrecondition SNAPSHOT_LOCKED");
    assert.is(await refusal(h.snapshots.deleteSnapshot({ storeId: STORE, snapshotId: held.snapshotId, force })), "FailedPrecondition SNAPSHOT_HELD");
  }
  const read = (await h.snapshots.getSnapshot({ storeId: STORE, snapshotId: held.snapshotId })).snapshot!;
  assert.equal({ held: read.held, reason: read.legalHold?.reason, state: read.state }, { held: true, reason: "case 1", state: SnapshotState.ACTIVE });
  await c.admin.releaseLegalHold({ storeId: STORE, snapshotId: held.snapshotId });
  assert.is((await h.snapshots.deleteSnapshot({ storeId: STORE, snapshotId: held.snapshotId, force: true })).snapshot!.snapshotId, held.snapshotId);
  const events = await c.audit.getSnapshotAudit({ storeId: STORE, snapshotId: held.snapshotId });
  assert.equal(events.events.map((e) => e.action), ["snapshot.create", "snapshot.hold", "snapshot.release_hold", "snapshot.purge"], "oldest first");
});

test("pins and locks carry a reason and an expiry; re-pinning replaces them; bad values are INVALID_ARGUMENT", async ({ h, c }) => {
  const s = await blob(h);
  const until = new Date(Date.now() + DAY_MS);
  const pinned = (await c.admin.pinSnapshot({ storeId: STORE, snapshotId: s.snapshotId, reason: "quarter close", expireTime: timestampFromDate(until) })).snapshot!;
  assert.equal({ pinned: pinned.pinned, reason: pinned.pin?.reason, until: Number(pinned.pin?.expireTime?.seconds) }, { pinned: true, reason: "quarter close", until: Math.floor(until.getTime() / 1000) });
  const same = (await c.admin.pinSnapshot({ storeId: STORE, snapshotId: s.snapshotId, reason: "quarter close", expireTime: timestampFromDate(until) })).snapshot!;
  assert.is(same.etag, pinned.etag, "the same pin again changes nothing");
  const forever = (await c.admin.pinSnapshot({ storeId: STORE, snapshotId: s.snapshotId, reason: "keep" })).snapshot!;
  assert.equal({ reason: forever.pin?.reason, until: forever.pin?.expireTime }, { reason: "keep", until: undefined });
  assert.is.not(forever.etag, pinned.etag);
  assert.equal(await fields(c.admin.pinSnapshot({ storeId: STORE, snapshotId: s.snapshotId, expireTime: timestampFromDate(new Date(Date.now() - 1000)) })), ["expire_time"]);
  assert.equal(await fields(c.admin.lockSnapshot({ storeId: STORE, snapshotId: s.snapshotId, reason: "x".repeat(1025) })), ["reason"]);
  assert.equal(await fields(c.admin.setLegalHold({ storeId: STORE, snapshotId: s.snapshotId, reason: " " })), ["reason"]);
  const unpinned = (await c.admin.unpinSnapshot({ storeId: STORE, snapshotId: s.snapshotId })).snapshot!;
  assert.equal({ pinned: unpinned.pinned, pin: unpinned.pin }, { pinned: false, pin: undefined });
});

test("an expired pin or lock reads as absent and protects nothing: delete, TTL and retention proceed", async ({ h, c }) => {
  const soon = () => timestampFromDate(new Date(Date.now() + 1200));
  const pinnedDel = await blob(h);
  const lockedTtl = await blob(h, 1);
  const old = await snapshotAged(h, { storeId: STORE, resourceType: "aged", daysAgo: 30, body: randomBytes(64) });
  await c.admin.pinSnapshot({ storeId: STORE, snapshotId: pinnedDel.snapshotId, reason: "short", expireTime: soon() });
  await c.admin.lockSnapshot({ storeId: STORE, snapshotId: lockedTtl.snapshotId, reason: "short", expireTime: soon() });
  await c.admin.pinSnapshot({ storeId: STORE, snapshotId: old.snapshotId, reason: "short", expireTime: soon() });
  await c.retention.createRetentionRule({ storeId: STORE, rule: { name: "sweep", resourceType: "aged", deleteOlderThanDays: 7 } });
  const kinds = async () =>
    (await c.retention.previewRetention({ storeId: STORE })).decisions.find((d) => d.snapshotId === old.snapshotId)!.reasons.map((r) => RetentionReasonKind[r.kind]);
  assert.equal(await kinds(), ["PINNED"]);
  assert.is(await refusal(h.snapshots.deleteSnapshot({ storeId: STORE, snapshotId: pinnedDel.snapshotId })), "FailedPrecondition SNAPSHOT_PINNED");

  await new Promise((r) => setTimeout(r, 1400));
  const read = (await h.snapshots.getSnapshot({ storeId: STORE, snapshotId: pinnedDel.snapshotId })).snapshot!;
  assert.equal({ pinned: read.pinned, pin: read.pin }, { pinned: false, pin: undefined });
  assert.is((await h.snapshots.deleteSnapshot({ storeId: STORE, snapshotId: pinnedDel.snapshotId })).snapshot!.state, SnapshotState.DELETED);
  assert.equal(await kinds(), ["RULE_DELETE"]);
  const { expired } = await h.services.retention.lifecyclePass(new Date(Date.now() + 2 * DAY_MS));
  assert.ok(expired >= 1);
  assert.is((await h.snapshots.getSnapshot({ storeId: STORE, snapshotId: lockedTtl.snapshotId })).snapshot!.state, SnapshotState.DELETED);
});

test.run();
