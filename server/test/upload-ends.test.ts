import { createHash, randomBytes } from "node:crypto";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import postgres from "postgres";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { SnapshotService, UploadSnapshotRequestSchema, type UploadSnapshotHeaderSchema } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { UploadState } from "../../gen/vellum/v1/upload_pb.js";
import { UploadService } from "../../gen/vellum/v1/upload_service_pb.js";
import { createLogger } from "../src/lib/logger.js";
import { createCutUploader, type CutEnd, type CutUploader } from "./support/cut-upload.js";
import { grpc } from "./support/grpc-js-client.js";
import { createTestDatabase, type TestDatabase } from "./support/test-db.js";
import { startTestServer, tempDir, type TestServer } from "./support/test-server.js";

/**
 * Only a client's orderly end of stream commits an upload. A cancel, a reset, a dropped connection,
 * a deadline or an idle timeout, each produced by a real client over HTTP/2, keeps the bytes that
 * arrived and leaves a resumable session OPEN at its committed size, and creates nothing on the
 * one-shot path; a resume (or a fresh upload) then completes byte-identical.
 */
interface Ctx {
  db: TestDatabase;
  dir: ReturnType<typeof tempDir>;
  server: TestServer;
  logs: string[];
  sql: postgres.Sql;
  snapshots: Client<typeof SnapshotService>;
  uploads: Client<typeof UploadService>;
  cutter: CutUploader;
}
const test = suite<Ctx>("upload ends: only the client's orderly end of stream commits (real HTTP/2 clients)");

const IDLE_MS = 2000;
const DEADLINE_MS = 1000;
const SIZE = 2 * 1024 * 1024;
const PIECE = 256 * 1024;
const SENT = 3 * PIECE;

test.before(async (ctx) => {
  ctx.db = await createTestDatabase();
  ctx.dir = tempDir();
  ctx.logs = [];
  const log = createLogger("debug", {}, (line) => void ctx.logs.push(line));
  const env = { DATABASE_URL: ctx.db.url, VELLUM_DATA_DIR: ctx.dir.path, VELLUM_PACK_TARGET_BYTES: String(512 * 1024), VELLUM_STREAM_IDLE_TIMEOUT_MS: String(IDLE_MS) };
  ctx.server = await startTestServer(env, log);
  ctx.sql = postgres(ctx.db.url, { max: 1, onnotice: () => {} });
  const transport = createGrpcTransport({ baseUrl: ctx.server.baseUrl });
  ctx.snapshots = createClient(SnapshotService, transport);
  ctx.uploads = createClient(UploadService, transport);
  ctx.cutter = createCutUploader(ctx.server.port);
});
test.after(async (ctx) => {
  ctx.cutter.close();
  await ctx.sql.end();
  await ctx.server.stop();
  await ctx.db.drop();
  ctx.dir.remove();
});

/** The gRPC status the grpc-js client sees for each of its ends. */
const CLIENT_STATUS: Partial<Record<CutEnd, number>> = {
  cancel: grpc.status.CANCELLED,
  deadline: grpc.status.DEADLINE_EXCEEDED,
  idle: grpc.status.DEADLINE_EXCEEDED,
};

/** Waits until no operation holds an ingest lease on `store`: the server has finished with the cut stream. */
async function serverDone(ctx: Ctx, store: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const [{ n }] = await ctx.sql`select count(*)::int as n from ingest_leases where store_id = ${store} and renew_time > now() - interval '1 minute'`;
    if (n === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`an ingest lease on ${store} is still held`);
}

async function visible(ctx: Ctx, store: string): Promise<number> {
  return (await ctx.snapshots.listSnapshots({ storeId: store })).snapshots.length;
}

async function download(ctx: Ctx, store: string, snapshotId: string): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const m of ctx.snapshots.downloadSnapshot({ storeId: store, snapshotId })) parts.push(m.chunk);
  return Buffer.concat(parts);
}

async function uploadRest(ctx: Ctx, header: MessageInitShape<typeof UploadSnapshotHeaderSchema>, rest: Buffer) {
  return ctx.snapshots.uploadSnapshot(
    (async function* () {
      yield create(UploadSnapshotRequestSchema, { msg: { case: "header", value: header } });
      for (let i = 0; i < rest.length; i += PIECE) yield create(UploadSnapshotRequestSchema, { msg: { case: "chunk", value: rest.subarray(i, i + PIECE) } });
    })(),
  );
}

const pieces = (b: Buffer) => Array.from({ length: SENT / PIECE }, (_, i) => b.subarray(i * PIECE, (i + 1) * PIECE));
let stores = 0;

for (const expect of [false, true]) {
  const label = expect ? "with expected size and sha256" : "without expectations";
  for (const end of ["cancel", "reset", "deadline", "idle"] as const) {
    test(`resumable, ${label}: a ${end} keeps the bytes, leaves the session OPEN and creates nothing; the resume is byte-identical`, async (ctx) => {
      const store = `ends-${++stores}`;
      const content = randomBytes(SIZE);
      const sha = createHash("sha256").update(content).digest("hex");
      const expectations = expect ? { expectedSha256: sha, expectedSize: BigInt(SIZE) } : {};
      const { upload } = await ctx.uploads.startUpload({ header: { storeId: store, resourceType: "dump", resourceId: "db", snapshotType: SnapshotType.DB, ...expectations } });
      const id = upload!.uploadId;

      const status = await ctx.cutter.cut(end, { store_id: store, upload_id: id, write_offset: "0" }, pieces(content), { deadlineMs: DEADLINE_MS });
      assert.is(status, CLIENT_STATUS[end]);
      await serverDone(ctx, store);
      const after = (await ctx.uploads.getUpload({ storeId: store, uploadId: id })).upload!;
      assert.is(after.state, UploadState.OPEN);
      assert.is(after.snapshotId, "");
      assert.ok(after.committedSize <= BigInt(SENT), `committed ${after.committedSize}`);
      if (end === "idle") assert.is(after.committedSize, BigInt(SENT)); // everything sent had arrived long before
      assert.is(await visible(ctx, store), 0);

      const from = Number(after.committedSize);
      const res = await uploadRest(ctx, { storeId: store, uploadId: id, writeOffset: after.committedSize }, content.subarray(from));
      assert.is(res.snapshot!.sha256, sha);
      assert.ok((await download(ctx, store, res.snapshot!.snapshotId)).equals(content), "the resumed content is byte-identical");
      const done = (await ctx.uploads.getUpload({ storeId: store, uploadId: id })).upload!;
      assert.is(done.state, UploadState.COMMITTED);
      assert.is(done.snapshotId, res.snapshot!.snapshotId);
      assert.is(await visible(ctx, store), 1);
    });

    test(`one-shot, ${label}: a ${end} creates nothing; the upload sent again is byte-identical`, async (ctx) => {
      const store = `ends-${++stores}`;
      const content = randomBytes(SIZE);
      const sha = createHash("sha256").update(content).digest("hex");
      const header = { storeId: store, resourceType: "dump", resourceId: "db", snapshotType: SnapshotType.DB, ...(expect ? { expectedSha256: sha, expectedSize: BigInt(SIZE) } : {}) };
      const raw = { store_id: store, resource_type: "dump", resource_id: "db", snapshot_type: "SNAPSHOT_TYPE_DB", ...(expect ? { expected_sha256: sha, expected_size: String(SIZE) } : {}) };

      const status = await ctx.cutter.cut(end, raw, pieces(content), { deadlineMs: DEADLINE_MS });
      assert.is(status, CLIENT_STATUS[end]);
      await serverDone(ctx, store);
      assert.is(await visible(ctx, store), 0);

      const res = await uploadRest(ctx, header, content);
      assert.is(res.snapshot!.sha256, sha);
      assert.ok((await download(ctx, store, res.snapshot!.snapshotId)).equals(content), "the content is byte-identical");
      assert.is(await visible(ctx, store), 1);
    });
  }
}

test("a dropped connection keeps the bytes and is logged as the client's event at debug level, never as an internal error", async (ctx) => {
  const store = `ends-${++stores}`;
  const content = randomBytes(SIZE);
  const { upload } = await ctx.uploads.startUpload({ header: { storeId: store, resourceType: "dump", resourceId: "db", snapshotType: SnapshotType.DB } });
  const id = upload!.uploadId;
  await ctx.cutter.cut("drop", { store_id: store, upload_id: id, write_offset: "0" }, pieces(content));
  await serverDone(ctx, store);
  const after = (await ctx.uploads.getUpload({ storeId: store, uploadId: id })).upload!;
  assert.is(after.state, UploadState.OPEN);
  assert.is(await visible(ctx, store), 0);
  const res = await uploadRest(ctx, { storeId: store, uploadId: id, writeOffset: after.committedSize }, content.subarray(Number(after.committedSize)));
  assert.ok((await download(ctx, store, res.snapshot!.snapshotId)).equals(content));

  const entries = ctx.logs.map((l) => JSON.parse(l) as { level: string; msg: string; method?: string });
  const uploadsEnded = entries.filter((e) => e.method === "vellum.v1.SnapshotService/UploadSnapshot" && e.msg === "call ended by the client");
  assert.ok(uploadsEnded.length > 0 && uploadsEnded.every((e) => e.level === "debug"), "client ends are debug events");
  assert.equal(entries.filter((e) => e.level === "error"), [], "nothing was logged as an error (no internal error, no premature close)");
});

test.run();
