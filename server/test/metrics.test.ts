import { create, toBinary } from "@bufbuild/protobuf";
import { randomBytes } from "node:crypto";
import http from "node:http";
import http2 from "node:http2";
import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import postgres from "postgres";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ApiKeyService } from "../../gen/vellum/v1/api_key_service_pb.js";
import { ShareAccess } from "../../gen/vellum/v1/share_pb.js";
import { ShareService } from "../../gen/vellum/v1/share_service_pb.js";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { CreateSnapshotRequestSchema, SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { eventually } from "./support/receiver-process.js";
import { codeOf, drain, startSecureServer, type SecureServer } from "./support/security-fixtures.js";
import { createTestDatabase, type TestDatabase } from "./support/test-db.js";
import { startTestServer, tempDir, type TestServer } from "./support/test-server.js";

/**
 * Issue 17: `GET /metrics` on the API port of the real server (VELLUM_AUTH=required). The test
 * client is on loopback; a request carrying X-Forwarded-For from 127.0.0.1 (a trusted proxy here)
 * stands for a remote client, 203.0.113.7.
 */
const STORE = "metrics-store-1";
const MISSING_ID = "01900000-0000-7000-8000-000000000000";
const REMOTE = { "x-forwarded-for": "203.0.113.7" };
const SNAPSHOTS = "vellum.v1.SnapshotService";

interface Ctx {
  s: SecureServer;
  readerKey: string;
  storeAdminKey: string;
}
const S = suite<Ctx>("metrics: /metrics on the real server");

S.before(async (ctx) => {
  ctx.s = await startSecureServer({ VELLUM_TRUSTED_PROXIES: "127.0.0.1/32" });
  const keys = ctx.s.client(ApiKeyService, { apiKey: ctx.s.adminKey });
  ctx.readerKey = (await keys.createApiKey({ name: "reader", scopes: ["snapshot:read"], storeIds: [STORE] })).key;
  ctx.storeAdminKey = (await keys.createApiKey({ name: "store admin", scopes: ["snapshot:admin"], storeIds: [STORE] })).key;
});
S.after(async (ctx) => {
  await ctx.s?.close();
});

type Answer = { status: number; headers: http.IncomingHttpHeaders; body: string };

function get(port: number, path: string, headers: Record<string, string> = {}, method = "GET"): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path, method, headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts).toString("utf8") }));
    });
    req.on("error", reject);
    req.end();
  });
}

type Labels = Record<string, string>;

/** Every sample of the exposition text: metric name, labels, value. */
function samples(text: string): { name: string; labels: Labels; value: number }[] {
  const out = [];
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Labels = {};
    for (const [, k, v] of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the sample named `name` with exactly `labels` (0 when absent: a counter not yet touched). */
function value(text: string, name: string, labels: Labels = {}): number {
  const want = JSON.stringify(Object.entries(labels).sort());
  const hit = samples(text).find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want);
  return hit?.value ?? 0;
}

async function scrape(ctx: Ctx): Promise<string> {
  const res = await get(ctx.s.server.port, "/metrics");
  assert.is(res.status, 200, res.body);
  return res.body;
}

/**
 * Scrapes until `settled` holds for the text: a call is counted when the server's side of its stream
 * closes, which can come just after the client has its answer.
 */
const scrapeSettled = (ctx: Ctx, settled: (text: string) => boolean): Promise<string> => eventually(() => scrape(ctx), settled);

const rpc = (method: string, code: string) => ({ service: SNAPSHOTS, method, code });

S("RPC calls, failures with their code, durations, body bytes and share downloads are counted exactly", async (ctx) => {
  const admin = ctx.s.client(SnapshotService, { apiKey: ctx.s.adminKey });
  const anonymous = ctx.s.client(SnapshotService, undefined);
  const before = await scrape(ctx);

  const payloads = [randomBytes(20_000), randomBytes(30_000), randomBytes(40_000)];
  const ids: string[] = [];
  for (const p of payloads) {
    const made = await admin.createSnapshot({ storeId: STORE, resourceType: "db", snapshotType: SnapshotType.DB, payload: { case: "data", value: p } });
    ids.push(made.snapshot!.snapshotId);
  }
  for (let i = 0; i < 2; i++) assert.is(await codeOf(admin.getSnapshot({ storeId: STORE, snapshotId: MISSING_ID })), Code.NotFound);
  assert.is(await codeOf(anonymous.getSnapshot({ storeId: STORE, snapshotId: ids[0] })), Code.Unauthenticated);
  const downloaded = await drain(admin.downloadSnapshot({ storeId: STORE, snapshotId: ids[2] }));
  const downloadedBytes = downloaded.reduce((n, m) => n + m.chunk.length, 0);
  assert.is(downloadedBytes, payloads[2]!.length);
  const shared = await ctx.s.client(ShareService, { apiKey: ctx.s.adminKey }).shareSnapshot({
    storeId: STORE,
    snapshotId: ids[1],
    access: ShareAccess.DOWNLOAD,
    expiresInSeconds: 600n,
  });
  const viaLink = await get(ctx.s.server.port, new URL(shared.signedUrl).pathname);
  assert.is(viaLink.status, 200);

  const calls = (t: string) => samples(t).filter((x) => x.name === "vellum_rpc_handled_total").reduce((n, x) => n + x.value, 0);
  // Eight calls: three CreateSnapshot, three GetSnapshot, DownloadSnapshot and ShareSnapshot.
  const after = await scrapeSettled(ctx, (t) => calls(t) - calls(before) >= 8);
  const delta = (name: string, labels?: Labels) => value(after, name, labels) - value(before, name, labels);
  assert.is(delta("vellum_rpc_handled_total", rpc("CreateSnapshot", "ok")), 3);
  assert.is(delta("vellum_rpc_handled_total", rpc("GetSnapshot", "not_found")), 2);
  assert.is(delta("vellum_rpc_handled_total", rpc("GetSnapshot", "unauthenticated")), 1);
  assert.is(delta("vellum_rpc_handled_total", rpc("GetSnapshot", "ok")), 0);
  assert.is(delta("vellum_rpc_handled_total", rpc("DownloadSnapshot", "ok")), 1);
  assert.is(delta("vellum_rpc_handling_seconds_count", rpc("CreateSnapshot", "ok")), 3);
  assert.is(delta("vellum_rpc_handling_seconds_count", rpc("GetSnapshot", "not_found")), 2);
  assert.is(delta("vellum_rpc_handling_seconds_count", rpc("GetSnapshot", "unauthenticated")), 1);
  assert.is(delta("vellum_rpc_handling_seconds_bucket", { ...rpc("GetSnapshot", "not_found"), le: "+Inf" }), 2);
  assert.ok(delta("vellum_rpc_handling_seconds_sum", rpc("CreateSnapshot", "ok")) > 0);

  const sent = payloads.reduce((n, p) => n + p.length, 0);
  const method = (m: string) => ({ service: SNAPSHOTS, method: m });
  assert.ok(delta("vellum_rpc_received_bytes_total", method("CreateSnapshot")) >= sent, "request bytes of CreateSnapshot");
  assert.ok(delta("vellum_rpc_sent_bytes_total", method("DownloadSnapshot")) >= payloads[2]!.length, "response bytes of DownloadSnapshot");
  assert.ok(delta("vellum_rpc_sent_bytes_total", method("CreateSnapshot")) > 0);
  assert.is(delta("vellum_share_download_sent_bytes_total"), payloads[1]!.length);

  // Labels name services, methods and codes only: no store, snapshot or key id.
  for (const secret of [STORE, ...ids, ctx.s.adminKey.split("_")[1]!]) assert.not.ok(after.includes(secret), secret);
  for (const s of samples(after).filter((x) => x.name.startsWith("vellum_rpc_"))) {
    assert.ok(Object.keys(s.labels).every((k) => ["service", "method", "code", "le"].includes(k)), JSON.stringify(s.labels));
  }
});

S("a request that does not decode is counted with the code it ends with", async (ctx) => {
  const before = await scrape(ctx);
  const res = await new Promise<number>((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port: ctx.s.server.port,
        path: `/${SNAPSHOTS}/GetSnapshot`,
        method: "POST",
        headers: { "content-type": "application/json", "connect-protocol-version": "1", "x-api-key": ctx.s.adminKey },
        agent: false,
      },
      (r) => {
        r.resume();
        r.on("end", () => resolve(r.statusCode!));
      },
    );
    req.on("error", reject);
    req.end("{ not json");
  });
  assert.is(res, 400);
  const after = await scrapeSettled(ctx, (t) => value(t, "vellum_rpc_handled_total", rpc("GetSnapshot", "invalid_argument")) > value(before, "vellum_rpc_handled_total", rpc("GetSnapshot", "invalid_argument")));
  const delta = (labels: Labels) => value(after, "vellum_rpc_handled_total", labels) - value(before, "vellum_rpc_handled_total", labels);
  assert.is(delta(rpc("GetSnapshot", "invalid_argument")), 1);
  assert.is(delta(rpc("GetSnapshot", "ok")), 0);
});

S("a call whose client resets its HTTP/2 stream before the answer is counted as canceled, not ok", async (ctx) => {
  const before = await scrape(ctx);
  const label = (code: string) => rpc("CreateSnapshot", code);
  const delta = (t: string, code: string) => value(t, "vellum_rpc_handled_total", label(code)) - value(before, "vellum_rpc_handled_total", label(code));
  // The create waits on a table lock held here, so its client resets the stream while it runs.
  const sql = postgres(ctx.s.server.config.databaseUrl!, { max: 1, onnotice: () => undefined });
  const session = http2.connect(`http://127.0.0.1:${ctx.s.server.port}`);
  try {
    await sql.begin(async (tx) => {
      await tx`lock table snapshots in share mode`;
      const message = toBinary(CreateSnapshotRequestSchema, create(CreateSnapshotRequestSchema, { storeId: STORE, resourceType: "db", snapshotType: SnapshotType.DB, payload: { case: "data", value: randomBytes(1000) } }));
      const frame = Buffer.alloc(5 + message.length);
      frame.writeUInt32BE(message.length, 1);
      frame.set(message, 5);
      const stream = session.request({ ":method": "POST", ":path": `/${SNAPSHOTS}/CreateSnapshot`, "content-type": "application/grpc", te: "trailers", "x-api-key": ctx.s.adminKey });
      stream.on("error", () => undefined);
      stream.end(frame);
      await eventually(async () => (await tx`select count(*)::int as n from pg_locks where relation = 'snapshots'::regclass and not granted`)[0].n, (n) => n > 0);
      stream.close(http2.constants.NGHTTP2_CANCEL);
      const after = await scrapeSettled(ctx, (t) => delta(t, "canceled") + delta(t, "ok") > 0);
      assert.is(delta(after, "ok"), 0);
      assert.is(delta(after, "canceled"), 1);
    });
  } finally {
    session.close();
    await sql.end();
  }
});

S("pool gauges and the default process metrics are exported in the Prometheus text format", async (ctx) => {
  const res = await get(ctx.s.server.port, "/metrics");
  assert.is(res.status, 200);
  assert.is(res.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  assert.is(res.headers["cache-control"], "no-store");
  assert.match(res.body, /^# HELP vellum_rpc_handling_seconds /m);
  assert.match(res.body, /^# TYPE vellum_rpc_handled_total counter$/m);
  assert.is(value(res.body, "vellum_db_pool_size"), ctx.s.server.config.dbPoolMax);
  const inUse = value(res.body, "vellum_db_pool_in_use");
  assert.ok(Number.isInteger(inUse) && inUse >= 0 && inUse <= ctx.s.server.config.dbPoolMax, String(inUse));
  assert.match(res.body, /^vellum_db_pool_waiting 0$/m);
  assert.ok(value(res.body, "process_cpu_user_seconds_total") > 0);
  assert.ok(value(res.body, "nodejs_heap_size_used_bytes") > 0);
  const head = await get(ctx.s.server.port, "/metrics", {}, "HEAD");
  assert.equal([head.status, head.body], [200, ""]);
  assert.is((await get(ctx.s.server.port, "/metrics", {}, "POST")).status, 405);
});

S("with VELLUM_AUTH=required, a remote scrape needs an API key with snapshot:admin on every store", async (ctx) => {
  const port = ctx.s.server.port;
  assert.is((await get(port, "/metrics", REMOTE)).status, 401);
  assert.is((await get(port, "/metrics", { ...REMOTE, "x-api-key": "vk_nosuchkey_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" })).status, 401);
  const reader = await get(port, "/metrics", { ...REMOTE, "x-api-key": ctx.readerKey });
  assert.is(reader.status, 403);
  assert.not.match(reader.body, /vellum_/);
  assert.is((await get(port, "/metrics", { ...REMOTE, "x-api-key": ctx.storeAdminKey })).status, 403);
  const admin = await get(port, "/metrics", { ...REMOTE, authorization: `Bearer ${ctx.s.adminKey}` });
  assert.is(admin.status, 200);
  assert.match(admin.body, /^vellum_db_pool_size /m);
  // Any forwarding header means a proxy sent it: not a local scrape, even from a loopback peer.
  assert.is((await get(port, "/metrics", { forwarded: "for=127.0.0.1" })).status, 401);
  assert.is((await get(port, "/metrics")).status, 200);
});

S.run();

interface OffCtx {
  db: TestDatabase;
  dir: { path: string; remove(): void };
  server: TestServer;
}
const Off = suite<OffCtx>("metrics: VELLUM_METRICS=off");

Off.before(async (ctx) => {
  ctx.db = await createTestDatabase();
  ctx.dir = tempDir();
  ctx.server = await startTestServer({ DATABASE_URL: ctx.db.url, VELLUM_DATA_DIR: ctx.dir.path, VELLUM_METRICS: "off" });
});
Off.after(async (ctx) => {
  await ctx.server?.stop();
  await ctx.db?.drop();
  ctx.dir?.remove();
});

Off("/metrics is not served (404) and RPCs still work", async (ctx) => {
  assert.is((await get(ctx.server.port, "/metrics")).status, 404);
  const snapshots = createClient(SnapshotService, createGrpcTransport({ baseUrl: ctx.server.baseUrl }));
  assert.is(await codeOf(snapshots.getSnapshot({ storeId: STORE, snapshotId: MISSING_ID })), Code.NotFound);
});

Off.run();
