import http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { GetSnapshotRequestSchema } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { rssMiB, sampleRss } from "./support/rss.js";
import { startServerProcess, type ServerProcess } from "./support/server-process.js";
import { createTestDatabase, type TestDatabase } from "./support/test-db.js";
import { tempDir } from "./support/test-server.js";

/**
 * Requests whose parse would cost far more memory than their bytes: millions of tiny entries that
 * each become an object. At the default 16 MiB message limit, against a real server process run as
 * `npm start` runs it: unknown fields are skipped, not kept, in every RPC; a request stops parsing
 * past its message limit (CommitSnapshot's own, BatchCreateSnapshots' the general one), and a JSON
 * request before JSON.parse when it holds more objects, arrays and keys than that. Each
 * request is sent three times in a row, to a server process of its own; the server's RSS must grow
 * by less than 256 MiB, and it must answer normally afterwards.
 */
interface Ctx {
  db: TestDatabase;
}
const test = suite<Ctx>("parse amplification: 16 MiB requests of tiny entries (real server process)");

const MiB = 1024 * 1024;
/** Growth of the server's RSS a case may cause: unfixed, one request grew it by 850 MiB to 2 GiB. */
const RSS_GROWTH_LIMIT_MIB = 256;
const STORE = "amplify";

test.before(async (ctx) => {
  ctx.db = await createTestDatabase();
});
test.after(async (ctx) => {
  await ctx.db?.drop();
});

/** Runs `work` against a server process started for it, so that each case starts from an idle RSS. */
async function onFreshServer(ctx: Ctx, work: (server: ServerProcess) => Promise<void>): Promise<void> {
  const dir = tempDir();
  const server = await startServerProcess({ DATABASE_URL: ctx.db.url, VELLUM_DATA_DIR: dir.path });
  try {
    await work(server);
  } finally {
    server.child.kill("SIGTERM");
    await server.exited;
    dir.remove();
  }
}

/** Sends one gRPC request of `message` and resolves with its grpc-status and grpc-message. */
function call(port: number, path: string, message: Uint8Array): Promise<{ status: number; message: string }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", reject);
    const frame = Buffer.alloc(5 + message.length);
    frame.writeUInt32BE(message.length, 1);
    frame.set(message, 5);
    const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" });
    let headers: http2.IncomingHttpHeaders = {};
    stream.on("response", (h) => (headers = h));
    stream.on("trailers", (t) => (headers = { ...headers, ...t }));
    stream.on("data", () => undefined);
    stream.on("error", reject);
    stream.on("close", () => {
      session.close();
      resolve({ status: Number(headers["grpc-status"]), message: decodeURIComponent(String(headers["grpc-message"] ?? "")) });
    });
    stream.end(frame);
  });
}

/** Sends one Connect unary request of JSON `body` and resolves with its HTTP status and Connect error, if any. */
function callJson(port: number, path: string, body: string): Promise<{ http: number; code?: string; message?: string }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", reject);
    const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/json" });
    let http = 0;
    const parts: Buffer[] = [];
    stream.on("response", (h) => (http = Number(h[":status"])));
    stream.on("data", (d: Buffer) => parts.push(d));
    stream.on("error", reject);
    stream.on("close", () => {
      session.close();
      const text = Buffer.concat(parts).toString();
      resolve({ http, ...(http === 200 ? {} : (JSON.parse(text) as { code: string; message: string })) });
    });
    stream.end(body);
  });
}

/** `count` copies of `entry` after `prefix`. */
function repeated(prefix: Uint8Array, entry: number[], count: number): Uint8Array {
  const out = new Uint8Array(prefix.length + entry.length * count);
  out.set(prefix);
  for (let i = 0, at = prefix.length; i < count; i++, at += entry.length) out.set(entry, at);
  return out;
}

async function underLoad(server: ServerProcess, path: string, message: Uint8Array) {
  const rss = sampleRss(server.child.pid!);
  const answers: { status: number; message: string }[] = [];
  for (let i = 0; i < 3; i++) answers.push(await call(server.port, path, message));
  return { answers, peak: rss.stop() };
}

test("a CommitSnapshot of 8 million empty ChunkRefs stops at the message limit (about what a full-size legitimate list costs) with INVALID_ARGUMENT", (ctx) =>
  onFreshServer(ctx, async (server) => {
    const count = Math.floor((16 * MiB - 64) / 2);
    const message = repeated(new Uint8Array(0), [0x12, 0x00], count); // field 2 (chunks), length 0
    const before = rssMiB(server.child.pid!);
    const { answers, peak } = await underLoad(server, "/vellum.v1.UploadService/CommitSnapshot", message);
    console.log(`empty ChunkRefs: server RSS before ${before.toFixed(0)}, peak ${peak.toFixed(0)} MiB`);
    for (const a of answers) {
      assert.is(a.status, Code.InvalidArgument);
      assert.match(a.message, "more messages than the limit");
    }
    assert.ok(peak - before < RSS_GROWTH_LIMIT_MIB, `server RSS from ${before.toFixed(0)} to ${peak.toFixed(0)} MiB`);
    const after = await call(server.port, "/vellum.v1.SnapshotService/GetSnapshot", toBinary(GetSnapshotRequestSchema, create(GetSnapshotRequestSchema, { storeId: STORE, snapshotId: "bad" })));
    assert.is(after.status, Code.InvalidArgument, "the server still answers");
  }),
);

test("a BatchCreateSnapshots of 8 million empty items stops at the message limit with INVALID_ARGUMENT", (ctx) =>
  onFreshServer(ctx, async (server) => {
    const count = Math.floor((16 * MiB - 64) / 2);
    const message = repeated(new Uint8Array(0), [0x12, 0x00], count); // field 2 (requests), length 0
    const before = rssMiB(server.child.pid!);
    const { answers, peak } = await underLoad(server, "/vellum.v1.SnapshotService/BatchCreateSnapshots", message);
    console.log(`empty batch items: server RSS before ${before.toFixed(0)}, peak ${peak.toFixed(0)} MiB`);
    for (const a of answers) {
      assert.is(a.status, Code.InvalidArgument);
      assert.match(a.message, "more messages than the limit");
    }
    assert.ok(peak - before < RSS_GROWTH_LIMIT_MIB, `server RSS from ${before.toFixed(0)} to ${peak.toFixed(0)} MiB`);
  }),
);

test("over Connect JSON, a CommitSnapshot of 5.6 million {} entries stops before JSON.parse with INVALID_ARGUMENT", (ctx) =>
  onFreshServer(ctx, async (server) => {
    const count = Math.floor((16 * MiB - 64) / 3);
    const body = `{"chunks":[${"{},".repeat(count - 1)}{}]}`;
    const pid = server.child.pid!;
    const before = rssMiB(pid);
    const rss = sampleRss(pid);
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await callJson(server.port, "/vellum.v1.UploadService/CommitSnapshot", body));
    const peak = rss.stop();
    console.log(`JSON {} entries: server RSS before ${before.toFixed(0)}, peak ${peak.toFixed(0)} MiB`);
    for (const a of answers) {
      assert.is(a.code, "invalid_argument");
      assert.match(a.message ?? "", "more messages than the limit");
    }
    assert.ok(peak - before < RSS_GROWTH_LIMIT_MIB, `server RSS from ${before.toFixed(0)} to ${peak.toFixed(0)} MiB`);
    const fine = await callJson(server.port, "/vellum.v1.SnapshotService/GetSnapshot", JSON.stringify({ storeId: STORE, snapshotId: "00000000-0000-7000-8000-000000000000" }));
    assert.is(fine.code, "not_found", "a small JSON request is parsed and answered");
  }),
);

test("a GetSnapshot of 5.6 million unknown fields is answered, and they are not kept", (ctx) =>
  onFreshServer(ctx, async (server) => {
    const known = toBinary(GetSnapshotRequestSchema, create(GetSnapshotRequestSchema, { storeId: STORE, snapshotId: "00000000-0000-7000-8000-000000000000" }));
    const count = Math.floor((16 * MiB - known.length) / 3);
    const message = repeated(known, [0xb8, 0x06, 0x00], count); // field 103, varint 0
    assert.ok(message.length <= 16 * MiB);
    const before = rssMiB(server.child.pid!);
    const { answers, peak } = await underLoad(server, "/vellum.v1.SnapshotService/GetSnapshot", message);
    console.log(`unknown fields: server RSS before ${before.toFixed(0)}, peak ${peak.toFixed(0)} MiB`);
    for (const a of answers) assert.is(a.status, Code.NotFound, `parsed and answered: ${a.message}`);
    assert.ok(peak - before < RSS_GROWTH_LIMIT_MIB, `server RSS from ${before.toFixed(0)} to ${peak.toFixed(0)} MiB`);
  }),
);

test.run();
