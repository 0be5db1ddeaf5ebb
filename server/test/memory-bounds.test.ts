import { createHash } from "node:crypto";
import http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ShareAccess } from "../../gen/vellum/v1/share_pb.js";
import { ShareService } from "../../gen/vellum/v1/share_service_pb.js";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { DownloadSnapshotRequestSchema, SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { createBulkGrpcTransport } from "../../sdk/src/node/bulk-transport.js";
import { createFrameDecoder } from "../../sdk/src/node/frame-decoder.js";
import { noiseStream } from "./support/noise-stream.js";
import { rssMiB, sampleRss } from "./support/rss.js";
import { startServerProcess, type ServerProcess } from "./support/server-process.js";
import { createTestDatabase, type TestDatabase } from "./support/test-db.js";
import { tempDir } from "./support/test-server.js";

/**
 * With the default buffer budget (VELLUM_BUFFER_BUDGET_MB) the server process stays under 300 MiB
 * of RSS through twenty concurrent 100 MiB uploads, and through sixty downloads whose clients never
 * open their HTTP/2 flow-control window. Each scenario runs on a freshly started server process,
 * run as `npm start` runs it.
 */
interface Ctx {
  db: TestDatabase;
}
const test = suite<Ctx>("memory: the buffer budget bounds server RSS (real server process, real HTTP/2 clients)");

const MiB = 1024 * 1024;
const RSS_LIMIT_MIB = 300;

test.before(async (ctx) => {
  ctx.db = await createTestDatabase();
});
test.after(async (ctx) => {
  await ctx.db.drop();
});

/** Runs `work` against a server process started for it (its own data directory and stores). */
async function onFreshServer(ctx: Ctx, work: (server: ServerProcess, url: string) => Promise<void>): Promise<void> {
  const dir = tempDir();
  const server = await startServerProcess({ DATABASE_URL: ctx.db.url, VELLUM_DATA_DIR: dir.path, VELLUM_LOG_LEVEL: "info" });
  try {
    await work(server, `http://127.0.0.1:${server.port}`);
  } finally {
    server.child.kill("SIGTERM");
    await server.exited;
    dir.remove();
  }
}

/** An UploadSnapshot of `size` noise bytes on its own HTTP/2 connection; resolves with the snapshot and the content's SHA-256. */
async function uploadNoise(url: string, storeId: string, size: number, seed: number) {
  const client = createClient(SnapshotService, createGrpcTransport({ baseUrl: url }));
  const noise = noiseStream(size, seed);
  const { snapshot } = await client.uploadSnapshot(
    (async function* () {
      yield { msg: { case: "header" as const, value: { storeId, resourceType: "dump", snapshotType: SnapshotType.DB } } };
      for await (const chunk of noise.chunks) yield { msg: { case: "chunk" as const, value: chunk } };
    })(),
  );
  return { snapshot: snapshot!, sha256: noise.sha256() };
}

test("twenty concurrent 100 MiB uploads all succeed and keep the server under 300 MiB RSS", (ctx) =>
  onFreshServer(ctx, async (server, url) => {
    const rss = sampleRss(server.child.pid!);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => uploadNoise(url, `conc-${i}`, 100 * MiB, i + 1)));
    const peak = rss.stop();
    for (const r of results) {
      assert.is(r.snapshot.size, BigInt(100 * MiB));
      assert.is(r.snapshot.sha256, r.sha256);
    }
    console.log(`twenty concurrent uploads: server peak RSS ${peak.toFixed(0)} MiB`);
    assert.ok(peak < RSS_LIMIT_MIB, `server peak RSS ${peak.toFixed(0)} MiB`);
  }),
);

/** An UploadSnapshot of `size` bytes of dump-like text (zstd keeps about a sixth of it); resolves as uploadNoise does. */
async function uploadText(url: string, storeId: string, size: number) {
  const client = createClient(SnapshotService, createGrpcTransport({ baseUrl: url }));
  const hash = createHash("sha256");
  const { snapshot } = await client.uploadSnapshot(
    (async function* () {
      yield { msg: { case: "header" as const, value: { storeId, resourceType: "dump", snapshotType: SnapshotType.DB } } };
      for (let row = 0, sent = 0; sent < size; ) {
        const lines: string[] = [];
        for (let i = 0; i < 10_000; i++, row++) lines.push(`${row}\tSKU-${(row * 7919) % 100_003}\t${(row * 37) % 9973}.${row % 100}\tcustomer-${row % 4999}@example.com\n`);
        const chunk = Buffer.from(lines.join("")).subarray(0, size - sent);
        hash.update(chunk);
        sent += chunk.length;
        yield { msg: { case: "chunk" as const, value: chunk } };
      }
    })(),
  );
  return { snapshot: snapshot!, sha256: hash.digest("hex") };
}

/** An HTTP/2 client that opens `path` and never reads: its stream window is zero and never grows. */
function stalledClient(url: string, headers: http2.OutgoingHttpHeaders, body?: Uint8Array): http2.ClientHttp2Session {
  const session = http2.connect(url, { settings: { initialWindowSize: 0 } });
  session.on("error", () => undefined);
  const stream = session.request(headers, { endStream: body === undefined });
  stream.on("error", () => undefined);
  stream.pause();
  if (body !== undefined) stream.end(body);
  return session;
}

/** A gRPC frame: the uncompressed flag, the length, the message. */
function grpcFrame(message: Uint8Array): Uint8Array {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

test("sixty stalled downloads, and thirty taking zstd frames, keep the server under 300 MiB RSS, normal downloads complete meanwhile, and RSS does not stay up once they disconnect", (ctx) =>
  onFreshServer(ctx, async (server, url) => {
    const storeId = "stalled";
    const { snapshot, sha256 } = await uploadNoise(url, storeId, 64 * MiB, 99);
    const text = await uploadText(url, storeId, 64 * MiB);
    const shares: Client<typeof ShareService> = createClient(ShareService, createGrpcTransport({ baseUrl: url }));
    const { signedUrl } = await shares.shareSnapshot({ storeId, snapshotId: snapshot.snapshotId, access: ShareAccess.DOWNLOAD });
    const pid = server.child.pid!;
    const before = rssMiB(pid);

    const rss = sampleRss(pid);
    const request = grpcFrame(toBinary(DownloadSnapshotRequestSchema, create(DownloadSnapshotRequestSchema, { storeId, snapshotId: snapshot.snapshotId })));
    const framesRequest = grpcFrame(toBinary(DownloadSnapshotRequestSchema, create(DownloadSnapshotRequestSchema, { storeId, snapshotId: text.snapshot.snapshotId, acceptFrames: true })));
    const grpcHeaders = { ":method": "POST", ":path": "/vellum.v1.SnapshotService/DownloadSnapshot", "content-type": "application/grpc", te: "trailers" };
    const stalled = [
      ...Array.from({ length: 60 }, () => stalledClient(url, grpcHeaders, request)),
      // The HTTP share download route streams the same way.
      ...Array.from({ length: 10 }, () => stalledClient(url, { ":method": "GET", ":path": new URL(signedUrl).pathname })),
      ...Array.from({ length: 30 }, () => stalledClient(url, grpcHeaders, framesRequest)),
    ];
    await new Promise((r) => setTimeout(r, 2000)); // ample time for any read-ahead to pile up

    const client = createClient(SnapshotService, createBulkGrpcTransport({ baseUrl: url }));
    const hash = createHash("sha256");
    let size = 0;
    for await (const m of client.downloadSnapshot({ storeId, snapshotId: snapshot.snapshotId })) {
      hash.update(m.chunk);
      size += m.chunk.length;
    }
    assert.is(size, 64 * MiB);
    assert.is(hash.digest("hex"), sha256, "the normal download completed, byte-identical");
    const decoder = createFrameDecoder({ reuse: false })!;
    const textHash = createHash("sha256");
    let frameMessages = 0;
    for await (const m of client.downloadSnapshot({ storeId, snapshotId: text.snapshot.snapshotId, acceptFrames: true })) {
      if (m.frameLengths.length > 0) frameMessages++;
      textHash.update(m.frameLengths.length > 0 ? decoder.decode(m) : m.chunk);
    }
    assert.ok(frameMessages > 0, "the text came as zstd frames");
    assert.is(textHash.digest("hex"), text.sha256, "the normal frames download completed, byte-identical");
    const during = rssMiB(pid);
    const peak = rss.stop();

    for (const s of stalled) s.destroy();
    await new Promise((r) => setTimeout(r, 5000));
    const after = rssMiB(pid);
    console.log(`stalled downloads: server RSS before ${before.toFixed(0)}, peak ${peak.toFixed(0)}, at the end ${during.toFixed(0)}, 5 s after they left ${after.toFixed(0)} MiB`);
    assert.ok(peak < RSS_LIMIT_MIB, `server peak RSS ${peak.toFixed(0)} MiB with stalled downloads`);
    assert.ok(after <= during + 8, `RSS ${after.toFixed(0)} MiB 5 s after the stalled clients left, ${during.toFixed(0)} MiB before`);
  }),
);

test.run();
