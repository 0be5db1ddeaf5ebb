import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createTestDatabase, type TestDatabase } from "./support/test-db.js";
import { startTestServer, tempDir, type TestServer } from "./support/test-server.js";

/** Connect protocol with JSON over HTTP/1.1, using nothing but fetch: what a curl user or browser sends. */
const test = suite<{ db: TestDatabase; dir: ReturnType<typeof tempDir>; server: TestServer }>("connect: JSON over HTTP/1.1 with fetch");

test.before(async (ctx) => {
  ctx.db = await createTestDatabase();
  ctx.dir = tempDir();
  ctx.server = await startTestServer({ DATABASE_URL: ctx.db.url, VELLUM_DATA_DIR: ctx.dir.path });
});
test.after(async (ctx) => {
  await ctx.server.stop();
  await ctx.db.drop();
  ctx.dir.remove();
});

const call = (ctx: { server: TestServer }, method: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${ctx.server.baseUrl}/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

test("CreateSnapshot, GetSnapshot and ListSnapshots in JSON; the response is HTTP/1.1", async (ctx) => {
  const res = await call(ctx, "vellum.v1.SnapshotService/CreateSnapshot", {
    storeId: "web",
    resourceType: "store_config",
    resourceId: "main",
    json: { theme: "dark", locales: ["de-DE", "fr-FR"] },
    labels: { env: "staging" },
  });
  assert.is(res.status, 200);
  assert.ok(res.headers.get("x-request-id"));
  const { snapshot } = await res.json();
  assert.is(snapshot.version, "1");
  assert.is(snapshot.snapshotType, "SNAPSHOT_TYPE_JSON");
  assert.equal(snapshot.labels, { env: "staging" });
  const got = await (await call(ctx, "vellum.v1.SnapshotService/GetSnapshot", { storeId: "web", snapshotId: snapshot.snapshotId })).json();
  assert.is(got.snapshot.sha256, snapshot.sha256);
  // Reads are NO_SIDE_EFFECTS, so Connect also serves them with GET.
  const q = new URLSearchParams({ connect: "v1", encoding: "json", message: JSON.stringify({ storeId: "web", labelsMatch: { env: "staging" } }) });
  const listed = await fetch(`${ctx.server.baseUrl}/vellum.v1.SnapshotService/ListSnapshots?${q}`);
  assert.is(listed.status, 200);
  const list = await listed.json();
  assert.is(list.totalSize, 1);
});

test("errors are Connect JSON errors with HTTP status, details and request id", async (ctx) => {
  const nf = await call(ctx, "vellum.v1.SnapshotService/GetSnapshot", { storeId: "web", snapshotId: "01900000-0000-7000-8000-000000000000" });
  assert.is(nf.status, 404);
  const body = await nf.json();
  assert.is(body.code, "not_found");
  const bad = await call(ctx, "vellum.v1.SnapshotService/ListSnapshots", { storeId: "bad store", pageSize: -1 }, { "x-request-id": "req-123" });
  assert.is(bad.status, 400);
  assert.is(bad.headers.get("x-request-id"), "req-123");
  const err = await bad.json();
  assert.is(err.code, "invalid_argument");
  assert.is(err.details[0].type, "google.rpc.BadRequest");
  assert.equal(err.details[0].debug.fieldViolations.map((v: { field: string }) => v.field), ["store_id"]);
  const unknown = await call(ctx, "vellum.v1.SnapshotService/NoSuchMethod", {});
  assert.is(unknown.status, 404);
});

test.run();
