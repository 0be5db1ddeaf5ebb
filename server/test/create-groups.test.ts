import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import postgres from "postgres";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { AuditService } from "../../gen/vellum/v1/audit_service_pb.js";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { expectError } from "./support/expect-error.js";
import { jsonPayload, packFiles, readText } from "./support/stored-content.js";
import { createTestDatabase, type TestDatabase } from "./support/test-db.js";
import { startTestServer, tempDir, type TestServer } from "./support/test-server.js";

/**
 * Concurrent small CreateSnapshot calls of one store commit in groups (domain/snapshots/commit-groups.ts):
 * one transaction and one audit append per group, each call keeping its own outcome, request id
 * and version.
 */
interface Ctx {
  db: TestDatabase;
  dir: ReturnType<typeof tempDir>;
  server: TestServer;
  snapshots: Client<typeof SnapshotService>;
  audit: Client<typeof AuditService>;
  sql: postgres.Sql;
}
const test = suite<Ctx>("grouped CreateSnapshot commits (real server, real Postgres)");

test.before(async (ctx) => {
  ctx.db = await createTestDatabase();
  ctx.dir = tempDir();
  ctx.server = await startTestServer({ DATABASE_URL: ctx.db.url, VELLUM_DATA_DIR: ctx.dir.path });
  const transport = createGrpcTransport({ baseUrl: ctx.server.baseUrl });
  ctx.snapshots = createClient(SnapshotService, transport);
  ctx.audit = createClient(AuditService, transport);
  ctx.sql = postgres(ctx.db.url, { max: 1, onnotice: () => undefined });
});
test.after(async (ctx) => {
  await ctx.sql.end();
  await ctx.server.stop();
  await ctx.db.drop();
  ctx.dir.remove();
});

test("48 concurrent creates: grouped audit appends, each event with its own request id, dense versions, content read back", async (ctx) => {
  const store = "grouped";
  const docs = Array.from({ length: 48 }, (_, i) => JSON.stringify({ sku: `SKU-${i}`, price: i }));
  const created = await Promise.all(
    docs.map((d, i) =>
      ctx.snapshots.createSnapshot(
        { storeId: store, resourceType: "product", resourceId: i % 2 ? "odd" : `even-${i}`, snapshotType: SnapshotType.JSON, payload: jsonPayload(d), encrypt: i % 3 === 0 },
        { headers: { "x-request-id": `grouped-${i}` } },
      ),
    ),
  );
  const events = await ctx.sql<{ resource_id: string; request_id: string; time: Date }[]>`
    select resource_id, request_id, time from audit_events where store_id = ${store} and action = 'snapshot.create'`;
  assert.is(events.length, 48);
  const requestOf = new Map(events.map((e) => [e.resource_id, e.request_id]));
  created.forEach((c, i) => assert.is(requestOf.get(c.snapshot!.snapshotId), `grouped-${i}`, `snapshot ${i}'s event names its own request`));
  const appends = new Set(events.map((e) => e.time.getTime())).size;
  assert.ok(appends < 48, `events were appended in groups (${appends} appends for 48 creates)`);

  const odd = created.filter((_, i) => i % 2).map((c) => Number(c.snapshot!.version)).sort((a, b) => a - b);
  assert.equal(odd, Array.from({ length: 24 }, (_, i) => i + 1), "one resource's versions are 1..24, none lost or repeated");
  for (const i of [0, 1, 3, 47]) assert.is(await readText(ctx.snapshots, store, created[i].snapshot!.snapshotId), docs[i]);
  const verified = await ctx.audit.verifyAuditChain({ storeId: store });
  assert.ok(verified.ok, verified.reason);
});

test("a group with conflicting resource_versions: the conflicts fail alone, ALREADY_EXISTS, and leave no manifest", async (ctx) => {
  const store = "grouped-conflicts";
  const results = await Promise.allSettled(
    Array.from({ length: 30 }, (_, i) =>
      ctx.snapshots.createSnapshot({
        storeId: store,
        resourceType: "product",
        resourceId: "q",
        resourceVersion: i < 10 ? "same" : `v${i}`,
        snapshotType: SnapshotType.JSON,
        payload: jsonPayload(`{"n":${i}}`),
      }),
    ),
  );
  const ok = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
  assert.is(ok.filter((i) => i < 10).length, 1, "one create of the shared resource_version commits");
  assert.equal(ok.filter((i) => i >= 10), Array.from({ length: 20 }, (_, k) => k + 10), "every other create commits");
  for (const r of results) if (r.status === "rejected") assert.is((await expectError(Promise.reject(r.reason))).code, Code.AlreadyExists);
  const [{ m }] = await ctx.sql`select count(*)::int as m from manifests where store_id = ${store}`;
  assert.is(m, 21, "a manifest for each committed create only");
  const versions = results.flatMap((r) => (r.status === "fulfilled" ? [Number(r.value.snapshot!.version)] : [])).sort((a, b) => a - b);
  assert.equal(versions, Array.from({ length: 21 }, (_, i) => i + 1));
  const verified = await ctx.audit.verifyAuditChain({ storeId: store });
  assert.ok(verified.ok, verified.reason);
});

test("64 creates, half cancelled at random moments: every answered one is stored, nothing half-made is left", async (ctx) => {
  const store = "grouped-cancelled";
  const calls = Array.from({ length: 64 }, (_, i) => {
    const abort = new AbortController();
    if (i % 2) setTimeout(() => abort.abort(), Math.floor(Math.random() * 40));
    const doc = JSON.stringify({ sku: `C-${i}`, body: "y".repeat(200 + i) });
    const call = ctx.snapshots.createSnapshot(
      { storeId: store, resourceType: "product", resourceId: `c${i % 4}`, snapshotType: SnapshotType.JSON, payload: jsonPayload(doc) },
      { signal: abort.signal },
    );
    return call.then((r) => ({ doc, id: r.snapshot!.snapshotId }), (err: unknown) => ({ doc, code: ConnectError.from(err).code }));
  });
  const outcomes = await Promise.all(calls);
  for (const o of outcomes) if ("code" in o) assert.is(o.code, Code.Canceled);
  const stored = outcomes.filter((o) => "id" in o);
  assert.ok(stored.length >= 32 && stored.length < 64, `every call not cancelled succeeded, and some were cancelled (${stored.length} of 64 stored)`);
  for (const o of stored) assert.is(await readText(ctx.snapshots, store, o.id), o.doc);

  const [{ n: snaps }] = await ctx.sql`select count(*)::int as n from snapshots where store_id = ${store}`;
  const [{ m }] = await ctx.sql`select count(*)::int as m from manifests where store_id = ${store}`;
  assert.is(m, snaps, "a manifest only with its snapshot");
  // A cancelled create removes its staged pack object after the client has gone: wait for that.
  let rows = -1;
  for (const t = Date.now(); Date.now() - t < 10_000; await new Promise((r) => setTimeout(r, 100))) {
    [{ n: rows }] = await ctx.sql`select count(*)::int as n from packs where store_id = ${store}`;
    if (packFiles(ctx.dir.path, store) === rows) break;
  }
  assert.is(packFiles(ctx.dir.path, store), rows, "every pack object on disk has its row");
  const versions = await ctx.sql<{ resource_id: string; n: number; top: number }[]>`
    select resource_id, count(*)::int as n, max(version)::int as top from snapshots where store_id = ${store} group by resource_id`;
  for (const v of versions) assert.is(v.top, v.n, `versions of ${v.resource_id} are dense`);
  const verified = await ctx.audit.verifyAuditChain({ storeId: store });
  assert.ok(verified.ok, verified.reason);
});

test.run();
