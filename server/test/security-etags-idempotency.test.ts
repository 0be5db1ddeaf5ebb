import { Code, ConnectError } from "@connectrpc/connect";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ApiKeyService } from "../../gen/vellum/v1/api_key_service_pb.js";
import { AuditService } from "../../gen/vellum/v1/audit_service_pb.js";
import { SnapshotAdminService } from "../../gen/vellum/v1/snapshot_admin_service_pb.js";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { failureOf, startSecureServer, type SecureServer } from "./support/security-fixtures.js";

interface Ctx {
  s: SecureServer;
}
const test = suite<Ctx>("security: etags (ABORTED on mismatch) and idempotent creates (real server)");

test.before(async (ctx) => {
  ctx.s = await startSecureServer();
});
test.after(async (ctx) => {
  await ctx.s.close();
});

const c = (ctx: Ctx) => ({
  snaps: ctx.s.client(SnapshotService, { apiKey: ctx.s.adminKey }),
  meta: ctx.s.client(SnapshotAdminService, { apiKey: ctx.s.adminKey }),
  keys: ctx.s.client(ApiKeyService, { apiKey: ctx.s.adminKey }),
  audit: ctx.s.client(AuditService, { apiKey: ctx.s.adminKey }),
});
const mk = async (ctx: Ctx, storeId = "e1") =>
  (await c(ctx).snaps.createSnapshot({ storeId, resourceType: "t", snapshotType: SnapshotType.BLOB, payload: { case: "data", value: Buffer.from("x") } })).snapshot!;

test("metadata updates, pins and locks take an etag; a stale one is ABORTED and changes nothing", async (ctx) => {
  const { meta, snaps } = c(ctx);
  const s = await mk(ctx);
  const updated = await meta.updateSnapshot({ storeId: "e1", snapshotId: s.snapshotId, etag: s.etag, tags: ["a", "a", "b"], updateMask: { paths: ["tags"] } });
  assert.equal(updated.snapshot!.tags, ["a", "b"]);
  assert.is.not(updated.snapshot!.etag, s.etag);
  for (const call of [
    () => meta.updateSnapshot({ storeId: "e1", snapshotId: s.snapshotId, etag: s.etag, labels: { x: 1 }, updateMask: { paths: ["labels"] } }),
    () => meta.pinSnapshot({ storeId: "e1", snapshotId: s.snapshotId, etag: s.etag }),
    () => meta.lockSnapshot({ storeId: "e1", snapshotId: s.snapshotId, etag: s.etag }),
    () => snaps.deleteSnapshot({ storeId: "e1", snapshotId: s.snapshotId, etag: s.etag }),
  ]) {
    const err = await failureOf(call);
    assert.is(err.code, Code.Aborted);
  }
  const now = (await snaps.getSnapshot({ storeId: "e1", snapshotId: s.snapshotId })).snapshot!;
  assert.is(now.etag, updated.snapshot!.etag);
  assert.not.ok(now.pinned || now.locked);
  const same = await meta.updateSnapshot({ storeId: "e1", snapshotId: s.snapshotId, etag: now.etag, tags: ["a", "b"], updateMask: { paths: ["tags"] } });
  assert.is(same.snapshot!.etag, now.etag, "a no-op keeps the etag");
});

test("concurrent updates with one etag: exactly one wins", async (ctx) => {
  const { meta } = c(ctx);
  const s = await mk(ctx);
  const results = await Promise.allSettled(
    Array.from({ length: 10 }, (_, i) =>
      meta.updateSnapshot({ storeId: "e1", snapshotId: s.snapshotId, etag: s.etag, labels: { writer: i }, updateMask: { paths: ["labels"] } }),
    ),
  );
  assert.is(results.filter((r) => r.status === "fulfilled").length, 1);
  for (const r of results) if (r.status === "rejected") assert.is(ConnectError.from(r.reason).code, Code.Aborted);
});

test("pins and locks protect against deletion; deleted snapshots cannot change; masks are validated", async (ctx) => {
  const { meta, snaps } = c(ctx);
  const s = await mk(ctx);
  const pinned = await meta.pinSnapshot({ storeId: "e1", snapshotId: s.snapshotId, etag: s.etag });
  assert.ok(pinned.snapshot!.pinned);
  assert.is((await failureOf(snaps.deleteSnapshot({ storeId: "e1", snapshotId: s.snapshotId }))).code, Code.FailedPrecondition);
  await meta.unpinSnapshot({ storeId: "e1", snapshotId: s.snapshotId });
  const locked = await meta.lockSnapshot({ storeId: "e1", snapshotId: s.snapshotId });
  assert.ok(locked.snapshot!.locked);
  assert.is((await failureOf(snaps.deleteSnapshot({ storeId: "e1", snapshotId: s.snapshotId, force: true }))).code, Code.FailedPrecondition);
  await meta.unlockSnapshot({ storeId: "e1", snapshotId: s.snapshotId, etag: locked.snapshot!.etag });
  await snaps.deleteSnapshot({ storeId: "e1", snapshotId: s.snapshotId });
  assert.is((await failureOf(meta.pinSnapshot({ storeId: "e1", snapshotId: s.snapshotId }))).code, Code.FailedPrecondition);
  for (const paths of [[], ["metadata"], ["tags", "state"]]) {
    assert.is((await failureOf(meta.updateSnapshot({ storeId: "e1", snapshotId: s.snapshotId, updateMask: { paths } }))).code, Code.InvalidArgument);
  }
  const tooMany = await failureOf(meta.updateSnapshot({ storeId: "e1", snapshotId: s.snapshotId, tags: Array.from({ length: 65 }, (_, i) => `t${i}`), updateMask: { paths: ["tags"] } }));
  assert.is(tooMany.code, Code.InvalidArgument);
  assert.match(tooMany.rawMessage, /tags/);
});

test("CreateApiKey idempotency: 20 parallel creates with one key make one key, shown once", async (ctx) => {
  const { keys, audit } = c(ctx);
  const req = { name: "ci-deployer", scopes: ["snapshot:write"], storeIds: ["e1"], idempotencyKey: "deploy-key-1" };
  const results = await Promise.all(Array.from({ length: 20 }, () => keys.createApiKey(req)));
  assert.is(new Set(results.map((r) => r.apiKey!.keyId)).size, 1);
  assert.is(results.filter((r) => r.key !== "").length, 1, "the secret is returned exactly once");
  const listed = (await keys.listApiKeys({ pageSize: 1000 })).apiKeys.filter((k) => k.name === "ci-deployer");
  assert.is(listed.length, 1);
  const events = await audit.listAuditEvents({ storeId: "*", action: "api_key.create", resourceId: listed[0].keyId });
  assert.is(events.events.length, 1);
  const other = await failureOf(keys.createApiKey({ ...req, scopes: ["snapshot:read"] }));
  assert.is(other.code, Code.AlreadyExists);
  const winner = results.find((r) => r.key !== "")!.key;
  const usable = await ctx.s.client(SnapshotService, { apiKey: winner }).createSnapshot({
    storeId: "e1",
    resourceType: "t",
    snapshotType: SnapshotType.BLOB,
    payload: { case: "data", value: Buffer.from("by key") },
  });
  assert.is(usable.snapshot!.createdBy, listed[0].keyId);
});

test("CreateApiKey grant rules: no scopes or stores beyond the creator's own", async (ctx) => {
  const { keys } = c(ctx);
  const storeAdmin = (await keys.createApiKey({ name: "store admin", scopes: ["snapshot:admin"], storeIds: ["e1"] })).key;
  const as = ctx.s.client(ApiKeyService, { apiKey: storeAdmin });
  assert.is((await failureOf(as.createApiKey({ name: "x", scopes: ["snapshot:export"], storeIds: ["e1"] }))).code, Code.InvalidArgument);
  assert.is((await failureOf(as.createApiKey({ name: "x", scopes: ["snapshot:read"], allStores: true }))).code, Code.InvalidArgument);
  assert.is((await failureOf(as.createApiKey({ name: "x", scopes: ["snapshot:read"], storeIds: ["other"] }))).code, Code.NotFound);
  assert.is((await failureOf(as.createApiKey({ name: "x", scopes: ["snapshot:everything"], storeIds: ["e1"] }))).code, Code.InvalidArgument);
  const ok = await as.createApiKey({ name: "reader", scopes: ["snapshot:read"], storeIds: ["e1"] });
  assert.equal(ok.apiKey!.scopes, ["snapshot:read"]);
});

test.run();
