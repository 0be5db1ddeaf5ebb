import { Code } from "@connectrpc/connect";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ApiKeyService } from "../../gen/vellum/v1/api_key_service_pb.js";
import type { AuditEvent } from "../../gen/vellum/v1/audit_pb.js";
import { AuditService } from "../../gen/vellum/v1/audit_service_pb.js";
import { ShareAccess } from "../../gen/vellum/v1/share_pb.js";
import { ShareService } from "../../gen/vellum/v1/share_service_pb.js";
import { SnapshotAdminService } from "../../gen/vellum/v1/snapshot_admin_service_pb.js";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { VersionService } from "../../gen/vellum/v1/version_service_pb.js";
import { drain, failureOf, startSecureServer, type SecureServer } from "./support/security-fixtures.js";

interface Ctx {
  s: SecureServer;
}
const test = suite<Ctx>("security: hash-chained audit log (real server, real Postgres)");

test.before(async (ctx) => {
  ctx.s = await startSecureServer();
});
test.after(async (ctx) => {
  await ctx.s.close();
});

const as = (ctx: Ctx) => ({
  snaps: ctx.s.client(SnapshotService, { apiKey: ctx.s.adminKey }),
  meta: ctx.s.client(SnapshotAdminService, { apiKey: ctx.s.adminKey }),
  audit: ctx.s.client(AuditService, { apiKey: ctx.s.adminKey }),
  shares: ctx.s.client(ShareService, { apiKey: ctx.s.adminKey }),
  versions: ctx.s.client(VersionService, { apiKey: ctx.s.adminKey }),
  keys: ctx.s.client(ApiKeyService, { apiKey: ctx.s.adminKey }),
});
const json = (v: AuditEvent["after"]): unknown => (v === undefined ? undefined : JSON.parse(JSON.stringify(toPlain(v))));
function toPlain(v: NonNullable<AuditEvent["after"]>): unknown {
  const k = v.kind;
  switch (k.case) {
    case "structValue":
      return Object.fromEntries(Object.entries(k.value.fields).map(([key, f]) => [key, toPlain(f)]));
    case "listValue":
      return k.value.values.map(toPlain);
    case "nullValue":
    case undefined:
      return null;
    default:
      return k.value;
  }
}
async function populate(ctx: Ctx, store: string): Promise<string> {
  const c = as(ctx);
  const { snapshot } = await c.snaps.createSnapshot({
    storeId: store,
    resourceType: "doc",
    resourceId: "d1",
    snapshotType: SnapshotType.BLOB,
    payload: { case: "data", value: Buffer.from("v1") },
  });
  const updated = await c.meta.updateSnapshot({ storeId: store, snapshotId: snapshot!.snapshotId, etag: snapshot!.etag, tags: ["x"], updateMask: { paths: ["tags"] } });
  await c.meta.pinSnapshot({ storeId: store, snapshotId: snapshot!.snapshotId, etag: updated.snapshot!.etag });
  await c.meta.unpinSnapshot({ storeId: store, snapshotId: snapshot!.snapshotId });
  await c.snaps.deleteSnapshot({ storeId: store, snapshotId: snapshot!.snapshotId });
  return snapshot!.snapshotId;
}

test("every mutation writes an event: actor, action, resource, before/after, request id, time", async (ctx) => {
  const c = as(ctx);
  const keyId = /^vk_([A-Za-z0-9]+)_/.exec(ctx.s.adminKey)![1];
  const headers = new Headers();
  const { snapshot } = await c.snaps.createSnapshot(
    { storeId: "a1", resourceType: "doc", resourceId: "d1", snapshotType: SnapshotType.BLOB, payload: { case: "data", value: Buffer.from("v1") } },
    { headers: { "x-request-id": "req-create-1" }, onHeader: (h) => h.forEach((v, k) => headers.set(k, v)) },
  );
  assert.is(headers.get("x-request-id"), "req-create-1");
  const id = snapshot!.snapshotId;
  const updated = await c.meta.updateSnapshot({ storeId: "a1", snapshotId: id, etag: snapshot!.etag, tags: ["x", "y"], labels: { env: "prod" }, updateMask: { paths: ["tags", "labels"] } });
  await c.meta.pinSnapshot({ storeId: "a1", snapshotId: id, etag: updated.snapshot!.etag });
  await c.meta.unpinSnapshot({ storeId: "a1", snapshotId: id });
  const share = await c.shares.shareSnapshot({ storeId: "a1", snapshotId: id, access: ShareAccess.READ });
  await c.shares.revokeShare({ storeId: "a1", shareId: share.share!.shareId });
  await c.snaps.deleteSnapshot({ storeId: "a1", snapshotId: id });

  const { events } = await c.audit.getSnapshotAudit({ storeId: "a1", snapshotId: id });
  assert.equal(events.map((e) => e.action), [
    "snapshot.create",
    "snapshot.update",
    "snapshot.pin",
    "snapshot.unpin",
    "share.create",
    "share.revoke",
    "snapshot.delete",
  ]);
  assert.equal(events.map((e) => Number(e.seq)), [1, 2, 3, 4, 5, 6, 7]);
  for (const e of events) {
    assert.is(e.actor, `api_key:${keyId}`);
    assert.is(e.snapshotId, id);
    assert.ok(e.requestId.length > 0);
    assert.ok(e.time);
  }
  assert.is(events[0].requestId, "req-create-1");
  assert.is(json(events[0].before), null);
  assert.is((json(events[0].after) as { state: string }).state, "ACTIVE");
  assert.equal((json(events[1].before) as { tags: string[] }).tags, []);
  assert.equal((json(events[1].after) as { tags: string[]; labels: unknown }).tags, ["x", "y"]);
  assert.equal((json(events[1].after) as { labels: unknown }).labels, { env: "prod" });
  assert.is((json(events[2].after) as { pinned: boolean }).pinned, true);
  assert.is((json(events[6].before) as { state: string }).state, "ACTIVE");
  assert.is((json(events[6].after) as { state: string }).state, "DELETED");
  for (let i = 1; i < events.length; i++) assert.is(events[i].prevHash, events[i - 1].hash);
  assert.is(events[0].prevHash, "0".repeat(64));
});

test("ListAuditEvents filters and pages newest first; ExportAuditEvents streams the whole chain", async (ctx) => {
  const c = as(ctx);
  const start = Date.now();
  for (let i = 0; i < 3; i++) await populate(ctx, "a2");
  const pins = await c.audit.listAuditEvents({ storeId: "a2", action: "snapshot.pin" });
  assert.is(pins.events.length, 3);
  assert.ok(pins.events.every((e) => e.action === "snapshot.pin"));
  assert.ok(Number(pins.events[0].seq) > Number(pins.events[2].seq), "newest first");
  const seen: bigint[] = [];
  let pageToken = "";
  do {
    const page = await c.audit.listAuditEvents({ storeId: "a2", pageSize: 4, pageToken });
    seen.push(...page.events.map((e) => e.seq));
    pageToken = page.nextPageToken;
  } while (pageToken);
  assert.equal(seen, Array.from({ length: 15 }, (_, i) => BigInt(15 - i)));
  const none = await c.audit.listAuditEvents({ storeId: "a2", until: timestampFromMs(start - 60_000) });
  assert.is(none.events.length, 0);
  const byResource = await c.audit.listAuditEvents({ storeId: "a2", resourceType: "snapshot", actor: pins.events[0].actor });
  assert.is(byResource.events.length, 15);
  const exported = (await drain(c.audit.exportAuditEvents({ storeId: "a2" }))).flatMap((b) => b.events);
  assert.equal(exported.map((e) => e.seq), Array.from({ length: 15 }, (_, i) => BigInt(i + 1)));
  const resumed = (await drain(c.audit.exportAuditEvents({ storeId: "a2", afterSeq: 10n }))).flatMap((b) => b.events);
  assert.equal(resumed.map((e) => e.seq), [11n, 12n, 13n, 14n, 15n]);
  const verified = await c.audit.verifyAuditChain({ storeId: "a2" });
  assert.ok(verified.ok);
  assert.is(verified.checked, 15n);
  assert.is(verified.headSeq, 15n);
  assert.is(verified.headHash, exported[14].hash);
});

test("tampering is detected: modified field, edited index column, deleted event, truncated head", async (ctx) => {
  const c = as(ctx);
  const sql = ctx.s.server.services.database.sql;
  const stores = ["t-modify", "t-actor", "t-column", "t-gap", "t-truncate"];
  for (const s of stores) await populate(ctx, s);
  for (const s of stores) assert.ok((await c.audit.verifyAuditChain({ storeId: s })).ok, s);

  await sql`update audit_events set after = jsonb_set(after, '{tags}', '["evil"]') where store_id = 't-modify' and seq = 2`;
  await sql`update audit_events set actor = 'api_key:someone-else' where store_id = 't-actor' and seq = 4`;
  await sql`update audit_events set snapshot_id = null where store_id = 't-column' and seq = 3`;
  await sql`delete from audit_events where store_id = 't-gap' and seq = 2`;
  await sql`delete from audit_events where store_id = 't-truncate' and seq = 5`;
  const expect: Record<string, [number, string]> = {
    "t-modify": [2, "HASH_MISMATCH"],
    "t-actor": [4, "HASH_MISMATCH"],
    "t-column": [3, "HASH_MISMATCH"],
    "t-gap": [2, "SEQ_GAP"],
    "t-truncate": [5, "CHECKPOINT_MISMATCH"],
  };
  for (const [store, [seq, reason]] of Object.entries(expect)) {
    const r = await c.audit.verifyAuditChain({ storeId: store });
    assert.not.ok(r.ok, store);
    assert.is(r.firstBadSeq, BigInt(seq), store);
    assert.is(r.reason, reason, store);
    assert.is(r.checked, BigInt(seq - 1), store);
  }
});

test("the event is written in the mutation's transaction: a failing audit insert rolls the change back", async (ctx) => {
  const c = as(ctx);
  const sql = ctx.s.server.services.database.sql;
  const { snapshot } = await c.snaps.createSnapshot({ storeId: "a3", resourceType: "doc", snapshotType: SnapshotType.BLOB, payload: { case: "data", value: Buffer.from("x") } });
  await sql.unsafe(`
    create function vellum_test_refuse_lock() returns trigger language plpgsql as $$
    begin raise exception 'audit store unavailable'; end $$;
    create trigger vellum_test_refuse_lock before insert on audit_events
      for each row when (new.action = 'snapshot.lock') execute function vellum_test_refuse_lock();`);
  try {
    const err = await failureOf(c.meta.lockSnapshot({ storeId: "a3", snapshotId: snapshot!.snapshotId }));
    assert.is(err.code, Code.Internal);
    const after = await c.snaps.getSnapshot({ storeId: "a3", snapshotId: snapshot!.snapshotId });
    assert.is(after.snapshot!.locked, false, "the lock was rolled back with its event");
    assert.is(after.snapshot!.etag, snapshot!.etag);
  } finally {
    await sql.unsafe(`drop trigger vellum_test_refuse_lock on audit_events; drop function vellum_test_refuse_lock();`);
  }
  const events = (await c.audit.getSnapshotAudit({ storeId: "a3", snapshotId: snapshot!.snapshotId })).events;
  assert.equal(events.map((e) => e.action), ["snapshot.create"]);
  assert.ok((await c.audit.verifyAuditChain({ storeId: "a3" })).ok);
});

test("concurrent writers of one store keep the chain dense and valid; failed mutations write nothing", async (ctx) => {
  const c = as(ctx);
  await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      c.snaps.createSnapshot({ storeId: "a4", resourceType: "doc", resourceId: `r${i % 3}`, snapshotType: SnapshotType.BLOB, payload: { case: "data", value: Buffer.from(`v${i}`) } }),
    ),
  );
  const { snapshots } = await c.snaps.listSnapshots({ storeId: "a4" });
  const stale = await failureOf(c.meta.pinSnapshot({ storeId: "a4", snapshotId: snapshots[0].snapshotId, etag: '"stale-1"' }));
  assert.is(stale.code, Code.Aborted);
  const r = await c.audit.verifyAuditChain({ storeId: "a4" });
  assert.ok(r.ok);
  assert.is(r.checked, 20n);
  // Versions and jobs are audited too.
  await c.versions.createVersion({ storeId: "a4", resourceType: "doc", resourceId: snapshots[0].resourceId, snapshotId: snapshots[0].snapshotId });
  await c.snaps.verifySnapshot({ storeId: "a4", snapshotId: snapshots[0].snapshotId });
  const actions = (await c.audit.listAuditEvents({ storeId: "a4", pageSize: 2 })).events.map((e) => e.action);
  assert.equal(actions, ["job.create", "version.create"]);
});

test("API key administration goes to the global chain, readable only with access to every store", async (ctx) => {
  const c = as(ctx);
  const made = await c.keys.createApiKey({ name: "auditor", scopes: ["snapshot:admin"], storeIds: ["a1"] });
  await c.keys.revokeApiKey({ keyId: made.apiKey!.keyId });
  const global = await c.audit.listAuditEvents({ storeId: "*", resourceId: made.apiKey!.keyId });
  assert.equal(global.events.map((e) => e.action), ["api_key.revoke", "api_key.create"]);
  assert.not.ok(JSON.stringify(global.events.map((e) => json(e.after))).includes("secret"), "no secret hash in audit states");
  assert.ok((await c.audit.verifyAuditChain({ storeId: "*" })).ok);
  const boot = await c.audit.listAuditEvents({ storeId: "*", action: "api_key.bootstrap" });
  assert.is(boot.events.length, 1);
  const restricted = await c.keys.createApiKey({ name: "store admin", scopes: ["snapshot:admin"], storeIds: ["a1"] });
  const denied = await failureOf(ctx.s.client(AuditService, { apiKey: restricted.key }).listAuditEvents({ storeId: "*" }));
  assert.is(denied.code, Code.NotFound);
});

test.run();
