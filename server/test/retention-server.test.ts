import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import * as protoLoader from "@grpc/proto-loader";
import { Code } from "@connectrpc/connect";
import { sql } from "drizzle-orm";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ApiKeyService } from "../../gen/vellum/v1/api_key_service_pb.js";
import { JobService } from "../../gen/vellum/v1/job_service_pb.js";
import { JobState } from "../../gen/vellum/v1/job_pb.js";
import { RetentionService } from "../../gen/vellum/v1/retention_service_pb.js";
import { SnapshotState, SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { StorageService } from "../../gen/vellum/v1/storage_service_pb.js";
import { CHANNEL_OPTIONS, failure, grpc } from "./support/grpc-js-client.js";
import { DAY_MS } from "./support/retention-fixtures.js";
import { drain, failureOf, startSecureServer, type SecureServer } from "./support/security-fixtures.js";

/**
 * Retention on the real server: gRPC over HTTP/2 and Connect over HTTP/1.1 with API keys, the job
 * watched to its end, and an independent client (@grpc/grpc-js loading proto/ at run time).
 */
const test = suite<{ s: SecureServer }>("retention on the real server (gRPC, Connect/HTTP 1.1, grpc-js)");

const STORE = "real";

test.before(async (ctx) => {
  ctx.s = await startSecureServer({ VELLUM_LIFECYCLE_INTERVAL_MS: "0" });
});
test.after(async (ctx) => ctx.s.close());

test("rules, preview, a watched run, undelete and usage, as an admin key over gRPC and Connect", async ({ s }) => {
  const admin = { apiKey: s.adminKey };
  const snapshots = s.client(SnapshotService, admin);
  const retention = s.client(RetentionService, admin, "connect-h1");
  const ids: string[] = [];
  for (const daysAgo of [30, 20, 0]) {
    const snap = (await snapshots.createSnapshot({ storeId: STORE, resourceType: "doc", resourceId: "d", snapshotType: SnapshotType.BLOB, payload: { case: "data", value: randomBytes(5000) } })).snapshot!;
    await s.server.services.database.db.execute(sql`update snapshots set create_time = ${new Date(Date.now() - daysAgo * DAY_MS).toISOString()}::timestamptz where id = ${snap.snapshotId}`);
    ids.push(snap.snapshotId);
  }
  await retention.createRetentionRule({ storeId: STORE, rule: { name: "monthly", keepMonthly: 1, timeZone: "Europe/Berlin", deleteOlderThanDays: 7 } });
  const preview = await retention.previewRetention({ storeId: STORE, deletionsOnly: true });
  const doomed = preview.decisions.map((d) => d.snapshotId);
  assert.ok(doomed.length >= 1 && doomed.every((id) => id !== ids[2]), "the latest version is never selected");

  const job = (await s.client(RetentionService, admin).runRetention({ storeId: STORE })).job!;
  const updates = await drain(s.client(JobService, admin).watchJob({ storeId: STORE, jobId: job.jobId }));
  const last = updates[updates.length - 1].job!;
  assert.is(last.state, JobState.SUCCEEDED);
  assert.equal([...(last.result!.details!.deleted_snapshot_ids as string[])].sort(), [...doomed].sort());

  const back = (await s.client(SnapshotService, admin, "connect-h1").undeleteSnapshot({ storeId: STORE, snapshotId: doomed[0] })).snapshot!;
  assert.is(back.state, SnapshotState.ACTIVE);
  const usage = (await s.client(StorageService, admin).getStorageUsage({ storeId: STORE })).usage!;
  assert.is(usage.total!.snapshotCount, BigInt(3 - doomed.length + 1));
  assert.is(usage.total!.deletedCount, BigInt(doomed.length - 1));
});

test("a read-only key may summarize but not see retention or usage; another store's key sees nothing", async ({ s }) => {
  const admin = s.client(ApiKeyService, { apiKey: s.adminKey });
  const reader = { apiKey: (await admin.createApiKey({ name: "reader", scopes: ["snapshot:read"], storeIds: [STORE] })).key };
  const stranger = { apiKey: (await admin.createApiKey({ name: "stranger", scopes: ["snapshot:admin"], storeIds: ["elsewhere"] })).key };
  assert.ok((await s.client(SnapshotService, reader).summarizeSnapshots({ storeId: STORE })).total!.snapshotCount >= 3n);
  assert.is((await failureOf(s.client(RetentionService, reader).previewRetention({ storeId: STORE }))).code, Code.PermissionDenied);
  assert.is((await failureOf(s.client(StorageService, reader).getStorageUsage({ storeId: STORE }))).code, Code.PermissionDenied);
  assert.is((await failureOf(s.client(RetentionService, stranger).listRetentionRules({ storeId: STORE }))).code, Code.NotFound);
});

test("@grpc/grpc-js, loading the protos at run time, reads rules and previews", async ({ s }) => {
  const root = fileURLToPath(new URL("../../proto", import.meta.url));
  const def = protoLoader.loadSync(["vellum/v1/retention_service.proto"], { includeDirs: [root], keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { vellum: { v1: { RetentionService: new (a: string, c: grpc.ChannelCredentials, o: grpc.ChannelOptions) => grpc.Client & Record<string, unknown> } } };
  const client = new pkg.vellum.v1.RetentionService(`127.0.0.1:${s.server.port}`, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  const meta = new grpc.Metadata();
  meta.set("x-api-key", s.adminKey);
  const call = <T>(method: string, req: object) =>
    new Promise<T>((resolve, reject) =>
      (client[method] as (r: object, m: grpc.Metadata, cb: (e: grpc.ServiceError | null, r: T) => void) => void).call(client, req, meta, (e, r) => (e ? reject(e) : resolve(r))),
    );
  try {
    const created = await call<{ rule: { name: string; exclude_pinned: boolean; enabled: boolean; time_zone: string } }>("CreateRetentionRule", {
      store_id: STORE,
      rule: { name: "interop", keep_weekly: 2 },
    });
    assert.equal([created.rule.name, created.rule.exclude_pinned, created.rule.enabled, created.rule.time_zone], ["interop", true, true, "UTC"]);
    const p = await call<{ totals: { considered_count: string }; decisions: { decision: string; reasons: { kind: string }[] }[] }>("PreviewRetention", { store_id: STORE });
    assert.is(Number(p.totals.considered_count), p.decisions.length);
    assert.ok(p.decisions.length >= 2);
    assert.ok(p.decisions.every((d) => ["RETENTION_DECISION_KIND_KEEP", "RETENTION_DECISION_KIND_DELETE"].includes(d.decision) && d.reasons.length > 0));
    const bad = await failure(call("CreateRetentionRule", { store_id: STORE, rule: { name: "empty" } }));
    assert.is(bad.code, grpc.status.INVALID_ARGUMENT);
  } finally {
    client.close();
  }
});

test.run();
