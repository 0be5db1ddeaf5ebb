import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { create, toBinary, type DescMessage, type DescMethod } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { SnapshotService, UploadSnapshotRequestSchema } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { UploadService } from "../../gen/vellum/v1/upload_service_pb.js";
import { createLogger } from "../src/lib/logger.js";
import { deepAt, invalidUtf8At, nestingPaths, pathName, stringPaths } from "./support/fuzz-frames.js";
import { callRaw, type Codec, type Protocol, type RawTarget } from "./support/raw-rpc.js";
import { createTestDatabase, type TestDatabase } from "./support/test-db.js";
import { startTestServer, tempDir, type TestServer } from "./support/test-server.js";

/**
 * Issue 15 §1: each kind of request that does not decode answers INVALID_ARGUMENT with a short
 * message on gRPC, gRPC-Web and Connect (binary and JSON), unary and client-streaming, and is
 * logged at debug level with the RPC name.
 */
const S = suite<{ db: TestDatabase; dir: { remove(): void }; server: TestServer; h2: http2.ClientHttp2Session; agent: http.Agent; lines: string[] }>("undecodable requests");

S.before(async (ctx) => {
  ctx.db = await createTestDatabase();
  const dir = tempDir();
  ctx.dir = dir;
  ctx.lines = [];
  ctx.server = await startTestServer({ DATABASE_URL: ctx.db.url, VELLUM_DATA_DIR: dir.path }, createLogger("debug", {}, (l) => ctx.lines.push(l)));
  ctx.h2 = http2.connect(ctx.server.baseUrl);
  ctx.agent = new http.Agent({ keepAlive: true });
});

S.after(async (ctx) => {
  ctx.h2?.close();
  ctx.agent?.destroy();
  await ctx.server?.stop();
  await ctx.db?.drop();
  ctx.dir?.remove();
});

const m = (desc: { method: Record<string, DescMethod> }, name: string) => desc.method[name]!;
const listSnapshots = m(SnapshotService, "listSnapshots");
const createSnapshot = m(SnapshotService, "createSnapshot");
const uploadSnapshot = m(SnapshotService, "uploadSnapshot");
const uploadChunks = m(UploadService, "uploadChunks");

const stringAt = (desc: DescMessage, name: string) => stringPaths(desc).find((p) => pathName(p) === name)!;
const nestingAt = (desc: DescMessage, name: string) => nestingPaths(desc).find((p) => pathName(p) === name)!;
const BAD_UTF8 = new Uint8Array([0xff, 0xfe, 0xc3, 0x28]);
const validCreate = toBinary(createSnapshot.input, create(createSnapshot.input, { storeId: "demo", resourceType: "product", payload: { case: "data", value: new Uint8Array(64) } }));
const validHeader = toBinary(
  UploadSnapshotRequestSchema,
  create(UploadSnapshotRequestSchema, { msg: { case: "header", value: { storeId: "demo", resourceType: "dump", snapshotType: SnapshotType.BLOB } } }),
);
const validChunk = toBinary(UploadSnapshotRequestSchema, create(UploadSnapshotRequestSchema, { msg: { case: "chunk", value: new Uint8Array(100) } }));

/** [name, method, messages]: binary requests that must not decode. */
const binaryCases: [string, DescMethod, Uint8Array[]][] = [
  ["invalid UTF-8 in store_id (the issue's curl)", listSnapshots, [new Uint8Array([0x0a, 0x04, 0xff, 0xfe, 0xc3, 0x28])]],
  ["invalid UTF-8 in a Struct key (labels_match)", listSnapshots, [invalidUtf8At(stringAt(listSnapshots.input, "labels_match.fields[key]"), BAD_UTF8)]],
  ["labels_match nested 150 deep", listSnapshots, [deepAt(nestingAt(listSnapshots.input, "labels_match"), 150)]],
  ["labels nested 150 deep", createSnapshot, [deepAt(nestingAt(createSnapshot.input, "labels"), 150)]],
  ["json nested 150 deep", createSnapshot, [deepAt(nestingAt(createSnapshot.input, "json"), 150)]],
  ["a truncated message", createSnapshot, [validCreate.subarray(0, validCreate.length - 10)]],
  ["random bytes", createSnapshot, [new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0x0f])]],
  ["UploadSnapshot: a first message with invalid UTF-8", uploadSnapshot, [invalidUtf8At(stringAt(UploadSnapshotRequestSchema, "header.store_id"), BAD_UTF8)]],
  ["UploadSnapshot: a valid header, then a truncated chunk", uploadSnapshot, [validHeader, validChunk, validChunk.subarray(0, 50)]],
  ["UploadSnapshot: a header nested 150 deep in labels", uploadSnapshot, [deepAt(nestingAt(UploadSnapshotRequestSchema, "header.labels"), 150)]],
  ["UploadChunks: random bytes", uploadChunks, [new Uint8Array([0x1a, 0xff, 0xff, 0xff, 0x7f])]],
];

/** [name, method, JSON body]: Connect JSON requests that must not decode. */
const jsonCases: [string, DescMethod, string][] = [
  ["labels_match nested 150 deep", listSnapshots, `{"storeId":"demo","labelsMatch":{"a":${"[".repeat(150)}${"]".repeat(150)}}}`],
  ["json nested 150 deep", createSnapshot, `{"storeId":"demo","resourceType":"p","json":${'{"a":'.repeat(150)}1${"}".repeat(150)}}`],
  ["a truncated message", createSnapshot, `{"storeId":"demo","resourceType":"p","json":{"a":`],
  ["invalid UTF-8 in store_id", listSnapshots, `{"storeId":"\xff\xfe("}`],
];

const targets: [Protocol, "h1" | "h2"][] = [
  ["grpc", "h2"],
  ["grpc-web", "h1"],
  ["grpc-web", "h2"],
  ["connect", "h1"],
  ["connect", "h2"],
];

type Ctx = { h2: http2.ClientHttp2Session; agent: http.Agent; server: TestServer; lines: string[] };
const target = (ctx: Ctx, over: "h1" | "h2"): RawTarget => (over === "h2" ? { h2: ctx.h2 } : { h1: { port: ctx.server.port, agent: ctx.agent } });

async function expectInvalid(ctx: Ctx, label: string, protocol: Protocol, over: "h1" | "h2", method: DescMethod, messages: Uint8Array[], codec: Codec = "proto") {
  const before = ctx.lines.length;
  const res = await callRaw(target(ctx, over), protocol, method, messages, codec);
  assert.is(res.code, Code.InvalidArgument, `${label} over ${protocol}/${over}: code ${res.code} (${res.message}) HTTP ${res.httpStatus}`);
  assert.ok(res.message.length < 200, `short message: ${res.message}`);
  await new Promise((r) => setImmediate(r));
  const logged = ctx.lines
    .slice(before)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.msg === "request not decoded" && l.method === `${method.parent.typeName}/${method.name}`);
  assert.ok(logged, `${label} over ${protocol}/${over}: a debug line names the RPC`);
  assert.is(logged!.level, "debug");
}

for (const [name, method, messages] of binaryCases) {
  S(`binary: ${name} answers INVALID_ARGUMENT on every protocol and is logged at debug level`, async (ctx) => {
    for (const [protocol, over] of targets) await expectInvalid(ctx, name, protocol, over, method, messages);
  });
}

for (const [name, method, json] of jsonCases) {
  S(`Connect JSON: ${name} answers INVALID_ARGUMENT`, async (ctx) => {
    const body = new Uint8Array(Buffer.from(json, "latin1"));
    for (const over of ["h1", "h2"] as const) {
      const res = await callRaw(target(ctx, over), "connect", method, [body], "json");
      assert.is(res.code, Code.InvalidArgument, `${name} over ${over}: ${res.code} ${res.message}`);
    }
  });
}

S("a request with thousands of bad elements answers INVALID_ARGUMENT with a bounded status; the connection survives", async (ctx) => {
  const tags = Array.from({ length: 5000 }, () => "");
  const message = toBinary(createSnapshot.input, create(createSnapshot.input, { storeId: "demo", resourceType: "p", tags, payload: { case: "data", value: new Uint8Array(1) } }));
  const res = await callRaw({ h2: ctx.h2 }, "grpc", createSnapshot, [message]);
  assert.is(res.code, Code.InvalidArgument, res.message);
  assert.ok(res.message.length <= 1024, `${res.message.length} characters`);
  assert.match(res.message, /(and \d+ more|…)$/);
  const next = await callRaw({ h2: ctx.h2 }, "grpc", listSnapshots, [toBinary(listSnapshots.input, create(listSnapshots.input, { storeId: "demo" }))]);
  assert.is(next.code, 0, "the same HTTP/2 connection still serves");
});

S("an HTTP/1.0 request without Host answers 400 and the server keeps serving", async (ctx) => {
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(ctx.server.port, "127.0.0.1", () =>
      socket.write("POST /vellum.v1.SnapshotService/ListSnapshots HTTP/1.0\r\ncontent-type: application/proto\r\ncontent-length: 0\r\n\r\n"),
    );
    let text = "";
    socket.on("data", (d) => (text += d.toString()));
    socket.on("close", () => resolve(text));
    socket.on("error", reject);
  });
  assert.match(answer, /^HTTP\/1\.1 400 /);
  const res = await callRaw({ h2: ctx.h2 }, "grpc", listSnapshots, [toBinary(listSnapshots.input, create(listSnapshots.input, { storeId: "demo" }))]);
  assert.is(res.code, 0);
});

S.run();
