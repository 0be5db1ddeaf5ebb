/**
 * The incremental uploader ends its UploadChunks stream every `streamBytes` and opens the next, so
 * the chunks of every stream the server has answered are durable even when the upload then fails:
 * a retry sends only the rest and commits the same content (real server).
 */
import { createHash } from "node:crypto";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { type FindMissingChunksRequest, type UploadChunksRequest, UploadService } from "../../gen/vellum/v1/upload_service_pb.js";
import { chunkBoundaries } from "../src/chunking/fastcdc.js";
import { uploadSnapshotIncremental } from "../src/node/incremental-upload.js";
import { MESSAGE_BYTES } from "../src/node/window-sender.js";
import { patternBytes } from "./support/pattern.js";
import { startSdkServer, type SdkServer } from "./support/sdk-server.js";

const test = suite<{ srv: SdkServer }>("sdk: incremental upload in bounded UploadChunks streams (real server)", {} as { srv: SdkServer });
test.before(async (ctx) => {
  ctx.srv = await startSdkServer();
});
test.after(async (ctx) => {
  await ctx.srv?.close();
});

const STREAM_BYTES = 256 * 1024;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** Per UploadChunks call: the payload bytes, digests and messages of the chunks it carried, and whether the server answered it. */
function streamRecorder(onAnswered?: (answered: number) => void) {
  const streams: { bytes: number; digests: string[]; answered: boolean; messages: { chunks: number; bytes: number }[] }[] = [];
  const interceptor: Interceptor = (next) => async (req) => {
    if (req.method.name !== "UploadChunks" || !req.stream) return next(req);
    const s = { bytes: 0, digests: [] as string[], answered: false, messages: [] as { chunks: number; bytes: number }[] };
    streams.push(s);
    const messages = req.message as AsyncIterable<UploadChunksRequest>;
    const res = await next({
      ...req,
      message: (async function* () {
        for await (const m of messages) {
          const bytes = m.chunk.length + m.moreData.length;
          s.bytes += bytes;
          if (bytes > 0) s.messages.push({ chunks: (m.chunk.length ? 1 : 0) + m.moreLengths.length, bytes });
          yield m;
        }
      })(),
    });
    s.answered = true;
    onAnswered?.(streams.filter((x) => x.answered).length);
    return res;
  };
  return { streams, interceptor };
}

const content = patternBytes(3_000_000, 11); // incompressible: every chunk is sent raw
const sha256 = createHash("sha256").update(content).digest("hex");
const digests = (() => {
  const ends = chunkBoundaries(content);
  return ends.map((end, i) => createHash("sha256").update(content.subarray(ends[i - 1] ?? 0, end)).digest());
})();

test("a stream carries about streamBytes, then the next one starts; the snapshot is the whole content", async (ctx) => {
  const rec = streamRecorder();
  const uploads = createClient(UploadService, createGrpcTransport({ baseUrl: ctx.srv.baseUrl, interceptors: [rec.interceptor] }));
  const header = { storeId: "streams-whole", resourceType: "dump", snapshotType: SnapshotType.DB };
  const r = await uploadSnapshotIncremental(uploads, header, once(), { streamBytes: STREAM_BYTES, windowBytes: 100_000, workers: 1 });
  assert.is(r.snapshot.sha256, sha256);
  assert.is(r.chunksSent, new Set(digests.map(hex)).size);
  const largest = Math.max(...chunkSizes());
  assert.ok(rec.streams.length >= Math.floor(content.length / (STREAM_BYTES + largest)), `${rec.streams.length} streams`);
  for (const s of rec.streams) assert.ok(s.bytes < STREAM_BYTES + largest, `a stream carried ${s.bytes} bytes`);
  assert.is(rec.streams.reduce((n, s) => n + s.bytes, 0), r.bytesSent);
});

test("an upload cancelled after two streams were answered keeps their chunks; the retry sends no more than the rest, byte-identical", async (ctx) => {
  const ac = new AbortController();
  const rec = streamRecorder((answered) => answered === 2 && ac.abort(new Error("stop after two streams")));
  const uploads = createClient(UploadService, createGrpcTransport({ baseUrl: ctx.srv.baseUrl, interceptors: [rec.interceptor] }));
  const header = { storeId: "streams-retry", resourceType: "dump", snapshotType: SnapshotType.DB };
  const opts = { streamBytes: STREAM_BYTES, windowBytes: 100_000, workers: 1 };
  const slow = async function* () {
    for (let at = 0; at < content.length; at += 64 * 1024) {
      await new Promise((r) => setTimeout(r, 5)); // the abort lands while most of the content is unread
      yield content.subarray(at, at + 64 * 1024);
    }
  };
  const err = await uploadSnapshotIncremental(uploads, header, slow(), { ...opts, signal: ac.signal }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.match(String(err), /canceled/i);
  const { missingDigests } = await uploads.findMissingChunks({ storeId: header.storeId, digests });
  const present = digests.length - missingDigests.length;
  assert.ok(present > 0 && missingDigests.length > 0, `${present} of ${digests.length} chunks durable after the cancel`);

  const retry = await uploadSnapshotIncremental(uploads, header, once(), opts);
  assert.is(retry.snapshot.sha256, sha256);
  // A stream the client had ended before the cancel may still be stored after it: at most the chunks lacked then.
  assert.ok(retry.chunksSent <= new Set(missingDigests.map(hex)).size, `the retry sent ${retry.chunksSent} chunks, ${missingDigests.length} were lacking`);
});

test("streams that take their messages at different paces: a window is reused only once every stream took its chunks (raw chunks are views of it)", async (ctx) => {
  let calls = 0;
  // Every other stream takes each message 25 ms late, as a congested connection would; the others at once.
  const uneven: Interceptor = (next) => async (req) => {
    if (req.method.name !== "UploadChunks" || !req.stream || calls++ % 2 === 1) return next(req);
    const messages = req.message as AsyncIterable<UploadChunksRequest>;
    return next({
      ...req,
      message: (async function* () {
        for await (const m of messages) {
          yield m;
          await new Promise((r) => setTimeout(r, 25));
        }
      })(),
    });
  };
  const uploads = createClient(UploadService, createGrpcTransport({ baseUrl: ctx.srv.baseUrl, interceptors: [uneven] }));
  const header = { storeId: "streams-uneven", resourceType: "dump", snapshotType: SnapshotType.DB };
  const small = content.subarray(0, 600_000);
  const smallSha = createHash("sha256").update(small).digest("hex");
  for (const workers of [0, 1]) {
    calls = 0;
    const r = await uploadSnapshotIncremental(uploads, { ...header, resourceId: `w${workers}` }, inPieces(small, 8 * 1024), {
      streamBytes: 48 * 1024,
      windowBytes: 20_000,
      chunking: { minSize: 1024, avgSize: 4096, maxSize: 16384 },
      workers,
    });
    assert.is(r.snapshot.sha256, smallSha, `${workers} workers`);
  }
});

test("a chunk repeated after the stream that carried it ended is found on the server, not sent again", async (ctx) => {
  const asked = new Map<string, number>(); // digest → FindMissingChunks calls that asked about it
  const finds: Interceptor = (next) => async (req) => {
    if (req.method.name === "FindMissingChunks" && !req.stream) {
      for (const d of (req.message as FindMissingChunksRequest).digests) asked.set(hex(d), (asked.get(hex(d)) ?? 0) + 1);
    }
    return next(req);
  };
  const rec = streamRecorder();
  const uploads = createClient(UploadService, createGrpcTransport({ baseUrl: ctx.srv.baseUrl, interceptors: [finds, rec.interceptor] }));
  const part = patternBytes(800_000, 23);
  const between = patternBytes(2_000_000, 29); // several more streams, so those that carried `part` end
  const repeated = Buffer.concat([part, between, part]);
  const ends = chunkBoundaries(repeated);
  const all = ends.map((end, i) => hex(createHash("sha256").update(repeated.subarray(ends[i - 1] ?? 0, end)).digest()));
  const header = { storeId: "streams-repeat", resourceType: "dump", snapshotType: SnapshotType.DB };
  // The repeat is read only once the streams that carried `part` (and the one after) have been
  // answered, whatever the machine's load.
  const carried = Math.ceil(part.length / STREAM_BYTES) + 1;
  const source = async function* () {
    yield* inPieces(Buffer.concat([part, between]), 64 * 1024);
    while (rec.streams.filter((x) => x.answered).length < carried) await new Promise((r) => setTimeout(r, 10));
    yield* inPieces(part, 64 * 1024);
  };
  const r = await uploadSnapshotIncremental(uploads, header, source(), { streamBytes: STREAM_BYTES, windowBytes: 100_000, workers: 1 });
  assert.is(r.snapshot.sha256, createHash("sha256").update(repeated).digest("hex"));
  assert.is(r.chunksSent, new Set(all).size, "each distinct chunk is sent once");
  assert.is(rec.streams.reduce((n, s) => n + s.bytes, 0), r.bytesSent);
  const askedTwice = [...asked.values()].filter((n) => n >= 2).length;
  assert.ok(askedTwice >= all.length - new Set(all).size - 2, `${askedTwice} repeated chunks were asked about again once their stream had ended`);
});

test("chunks travel many to a message, up to MESSAGE_BYTES, and no message straddles a stream's end", async (ctx) => {
  const rec = streamRecorder();
  const uploads = createClient(UploadService, createGrpcTransport({ baseUrl: ctx.srv.baseUrl, interceptors: [rec.interceptor] }));
  const big = patternBytes(6_000_000, 31);
  const header = { storeId: "streams-batched", resourceType: "dump", snapshotType: SnapshotType.DB };
  const r = await uploadSnapshotIncremental(uploads, header, inPieces(big, 1 << 20), { streamBytes: 4 * 1024 * 1024, workers: 0 });
  assert.is(r.snapshot.sha256, createHash("sha256").update(big).digest("hex"));
  const messages = rec.streams.flatMap((s) => s.messages);
  assert.is(messages.reduce((n, m) => n + m.chunks, 0), r.chunksSent);
  assert.ok(messages.length * 4 <= r.chunksSent, `${messages.length} messages for ${r.chunksSent} chunks`);
  for (const m of messages) assert.ok(m.chunks === 1 || m.bytes <= MESSAGE_BYTES, `a message of ${m.chunks} chunks carried ${m.bytes} bytes`);
  const ends = chunkBoundaries(big);
  const largest = Math.max(...ends.map((end, i) => end - (ends[i - 1] ?? 0)));
  for (const s of rec.streams.slice(0, -1)) assert.ok(s.bytes >= 4 * 1024 * 1024 && s.bytes < 4 * 1024 * 1024 + largest, `a stream carried ${s.bytes} bytes`);
});

test("a server that stores fewer chunks than a stream carried (one that ignores `more_data`) fails the upload before the commit", async (ctx) => {
  let commits = 0;
  // What a server that predates `more_data` would parse: only each message's `chunk`.
  const older: Interceptor = (next) => async (req) => {
    if (req.method.name === "CommitSnapshot") commits++;
    if (req.method.name !== "UploadChunks" || !req.stream) return next(req);
    const messages = req.message as AsyncIterable<UploadChunksRequest>;
    return next({
      ...req,
      message: (async function* () {
        for await (const m of messages) yield { ...m, moreData: new Uint8Array(0), moreLengths: [], moreSizes: [] };
      })(),
    });
  };
  const uploads = createClient(UploadService, createGrpcTransport({ baseUrl: ctx.srv.baseUrl, interceptors: [older] }));
  const header = { storeId: "streams-older", resourceType: "dump", snapshotType: SnapshotType.DB };
  const err = await uploadSnapshotIncremental(uploads, header, once(), { workers: 0 }).then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );
  assert.is(err?.code, Code.FailedPrecondition);
  assert.match(err!.message, /received 0 of \d+ chunks/);
  assert.is(commits, 0);
});

/** `bytes` in pieces of `size`, so that windows are filled one after another and their buffers reused. */
async function* inPieces(bytes: Uint8Array, size: number) {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

/** The content as a one-piece stream. */
async function* once() {
  yield content;
}

/** Sizes of the content's chunks. */
function chunkSizes(): number[] {
  const ends = chunkBoundaries(content);
  return ends.map((end, i) => end - (ends[i - 1] ?? 0));
}

test.run();
