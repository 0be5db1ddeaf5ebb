import http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { DownloadSnapshotRequestSchema, SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { noiseStream } from "./support/noise-stream.js";
import { createTestDatabase, type TestDatabase } from "./support/test-db.js";
import { startTestServer, tempDir, type TestServer } from "./support/test-server.js";

/**
 * The buffer budget end to end, with the smallest budget the server accepts (16 MiB, less than one
 * upload's share): downloads always progress, and hold their read-ahead against the budget; an
 * upload that finds no room waits without reading its request stream, so HTTP/2 flow control
 * holds its client back; the budget of downloads whose clients go away is released at once.
 */
interface Ctx {
  db: TestDatabase;
  dir: ReturnType<typeof tempDir>;
  server: TestServer;
  snapshots: Client<typeof SnapshotService>;
}
const test = suite<Ctx>("buffer budget: uploads wait on flow control; an abandoned download gives its budget back at once");

const MiB = 1024 * 1024;
const STORE = "budget";

test.before(async (ctx) => {
  ctx.db = await createTestDatabase();
  ctx.dir = tempDir();
  ctx.server = await startTestServer({ DATABASE_URL: ctx.db.url, VELLUM_DATA_DIR: ctx.dir.path, VELLUM_BUFFER_BUDGET_MB: "16" });
  ctx.snapshots = createClient(SnapshotService, createGrpcTransport({ baseUrl: ctx.server.baseUrl }));
});
test.after(async (ctx) => {
  await ctx.server.stop();
  await ctx.db.drop();
  ctx.dir.remove();
});

/** An UploadSnapshot of `size` noise bytes in 512 KiB messages; `pulled()` counts the messages the transport has taken. */
function upload(ctx: Ctx, size: number, seed: number) {
  const noise = noiseStream(size, seed, 512 * 1024);
  let pulled = 0;
  const done = ctx.snapshots.uploadSnapshot(
    (async function* () {
      yield { msg: { case: "header" as const, value: { storeId: STORE, resourceType: "dump", snapshotType: SnapshotType.DB } } };
      for await (const chunk of noise.chunks) {
        pulled++;
        yield { msg: { case: "chunk" as const, value: chunk } };
      }
    })(),
  );
  return { done, pulled: () => pulled, sha256: () => noise.sha256() };
}

/** A DownloadSnapshot whose client never opens its flow-control window. */
function stalledDownload(ctx: Ctx, snapshotId: string): http2.ClientHttp2Session {
  const session = http2.connect(ctx.server.baseUrl, { settings: { initialWindowSize: 0 } });
  session.on("error", () => undefined);
  const stream = session.request({ ":method": "POST", ":path": "/vellum.v1.SnapshotService/DownloadSnapshot", "content-type": "application/grpc", te: "trailers" });
  stream.on("error", () => undefined);
  stream.pause();
  const body = toBinary(DownloadSnapshotRequestSchema, create(DownloadSnapshotRequestSchema, { storeId: STORE, snapshotId }));
  const frame = Buffer.alloc(5 + body.length);
  frame.writeUInt32BE(body.length, 1);
  frame.set(body, 5);
  stream.end(frame);
  return session;
}

test("an upload waits, unread, while stalled downloads hold the budget, and completes as soon as their clients leave", async (ctx) => {
  const first = upload(ctx, 4 * MiB, 1);
  const { snapshot } = await first.done;
  assert.is(snapshot!.sha256, first.sha256());

  const stalled = Array.from({ length: 5 }, () => stalledDownload(ctx, snapshot!.snapshotId));
  await new Promise((r) => setTimeout(r, 1000)); // the downloads read their first bytes, then stall

  const second = upload(ctx, 8 * MiB, 2);
  let finished = false;
  void second.done.then(() => (finished = true), () => (finished = true));
  await new Promise((r) => setTimeout(r, 1500));
  assert.is(finished, false, "the upload waits for the budget");
  // Unread: only what fits the HTTP/2 stream window (1 MiB) and the client's own buffers went out.
  assert.ok(second.pulled() <= 6, `${second.pulled()} of 16 messages taken while waiting`);

  for (const s of stalled) s.destroy();
  const res = await second.done;
  assert.is(res.snapshot!.size, BigInt(8 * MiB));
  assert.is(res.snapshot!.sha256, second.sha256());
});

test.run();
