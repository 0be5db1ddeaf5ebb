import { create } from "@bufbuild/protobuf";
import { Code, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import postgres from "postgres";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { SnapshotService, UploadSnapshotRequestSchema } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { expectError } from "./support/expect-error.js";
import { createTestDatabase, type TestDatabase } from "./support/test-db.js";
import { startTestServer, tempDir, type TestServer } from "./support/test-server.js";

/**
 * Server-side deadlines from config (VELLUM_DEFAULT_TIMEOUT_MS, VELLUM_STREAM_IDLE_TIMEOUT_MS), on
 * the real HTTP/2 server.
 */
interface Ctx {
  db: TestDatabase;
  dir: ReturnType<typeof tempDir>;
  server: TestServer;
  transports: Transport[];
}
const test = suite<Ctx>("deadlines: the configured default on the real server");

const DEFAULT_MS = 1000;
const IDLE_MS = 2500;
const STORE = "deadlines";
/** Client deadline of setup calls: a cold server on a loaded machine can take longer than DEFAULT_MS. */
const SETUP_TIMEOUT_MS = 60_000;

test.before(async (ctx) => {
  ctx.db = await createTestDatabase();
  ctx.dir = tempDir();
  ctx.server = await startTestServer({ DATABASE_URL: ctx.db.url, VELLUM_DATA_DIR: ctx.dir.path, VELLUM_DEFAULT_TIMEOUT_MS: String(DEFAULT_MS), VELLUM_STREAM_IDLE_TIMEOUT_MS: String(IDLE_MS) });
  // Neither transport sets a deadline of its own.
  ctx.transports = [createGrpcTransport({ baseUrl: ctx.server.baseUrl }), createConnectTransport({ baseUrl: ctx.server.baseUrl, httpVersion: "1.1" })];
});
test.after(async (ctx) => {
  await ctx.server.stop();
  await ctx.db.drop();
  ctx.dir.remove();
});

test("a unary RPC whose client sent no deadline ends with DEADLINE_EXCEEDED after the default", async (ctx) => {
  const client = createClient(SnapshotService, ctx.transports[0]);
  const { snapshot } = await client.createSnapshot(
    { storeId: STORE, resourceType: "t", snapshotType: SnapshotType.BLOB, payload: { case: "data", value: new Uint8Array([1]) } },
    { timeoutMs: SETUP_TIMEOUT_MS },
  );
  // Hold the snapshot's row lock so DeleteSnapshot waits for it far longer than the default.
  const sql = postgres(ctx.db.url, { max: 1, onnotice: () => {} });
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const holder = sql.begin(async (tx) => {
    await tx`select 1 from snapshots where id = ${snapshot!.snapshotId} for update`;
    locked();
    await released;
  });
  try {
    await isLocked;
    for (const transport of ctx.transports) {
      const start = Date.now();
      const err = await expectError(createClient(SnapshotService, transport).deleteSnapshot({ storeId: STORE, snapshotId: snapshot!.snapshotId }));
      const ms = Date.now() - start;
      assert.is(err.code, Code.DeadlineExceeded, err.message);
      assert.ok(ms >= DEFAULT_MS - 50 && ms < DEFAULT_MS * 5, `ended after ${ms} ms`);
    }
  } finally {
    release();
    await holder;
    await sql.end();
  }
});

test("a client stream that runs longer than the default is not cut", async (ctx) => {
  const client = createClient(SnapshotService, ctx.transports[0]);
  const res = await client.uploadSnapshot(
    (async function* () {
      yield create(UploadSnapshotRequestSchema, { msg: { case: "header", value: { storeId: STORE, resourceType: "t", snapshotType: SnapshotType.BLOB } } });
      yield create(UploadSnapshotRequestSchema, { msg: { case: "chunk", value: new Uint8Array(1000).fill(1) } });
      await new Promise((r) => setTimeout(r, DEFAULT_MS * 1.5));
      yield create(UploadSnapshotRequestSchema, { msg: { case: "chunk", value: new Uint8Array(1000).fill(2) } });
    })(),
  );
  assert.is(res.snapshot!.size, 2000n);
});

test("a client stream that sends nothing for the idle timeout ends with DEADLINE_EXCEEDED and gives up its ingest lease", async (ctx) => {
  const store = "deadlines-idle";
  const client = createClient(SnapshotService, ctx.transports[0]);
  const start = Date.now();
  const err = await expectError(
    client.uploadSnapshot(
      (async function* () {
        yield create(UploadSnapshotRequestSchema, { msg: { case: "header", value: { storeId: store, resourceType: "t", snapshotType: SnapshotType.BLOB } } });
        yield create(UploadSnapshotRequestSchema, { msg: { case: "chunk", value: new Uint8Array(1000).fill(1) } });
        await new Promise((r) => setTimeout(r, IDLE_MS * 2)); // a stalled client
        yield create(UploadSnapshotRequestSchema, { msg: { case: "chunk", value: new Uint8Array(1000).fill(2) } });
      })(),
    ),
  );
  const ms = Date.now() - start;
  assert.is(err.code, Code.DeadlineExceeded, err.message);
  assert.match(err.message, /idle/);
  assert.ok(ms >= IDLE_MS - 50 && ms < IDLE_MS * 3, `ended after ${ms} ms`);
  const sql = postgres(ctx.db.url, { max: 1, onnotice: () => {} });
  try {
    // A failed operation's lease is left marked stale (reclaim drops it first thing): not held.
    const [{ leases }] = await sql`select count(*)::int as leases from ingest_leases where store_id = ${store} and renew_time > now() - interval '1 minute'`;
    const [{ snapshots }] = await sql`select count(*)::int as snapshots from snapshots where store_id = ${store}`;
    assert.equal({ leases, snapshots }, { leases: 0, snapshots: 0 });
  } finally {
    await sql.end();
  }
});

test.run();
