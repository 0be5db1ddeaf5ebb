/**
 * The incremental uploader's worker threads against the real server: the commit list, digests,
 * content SHA-256 and the frames sent are the same with 0, 1 and 2 workers and match chunks cut
 * independently (chunkBoundaries over the whole content); failures reject promptly and a process
 * that uploaded exits by itself.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { type UploadChunksRequest, type CommitSnapshotRequest, UploadService } from "../../gen/vellum/v1/upload_service_pb.js";
import { chunkBoundaries, type ChunkerOptions } from "../src/chunking/fastcdc.js";
import { uploadSnapshotIncremental } from "../src/node/incremental-upload.js";
import { patternBytes } from "./support/pattern.js";
import { startSdkServer, type SdkServer } from "./support/sdk-server.js";
import { tempDir } from "../../server/test/support/test-server.js";

const test = suite<{ srv: SdkServer; dir: { path: string; remove(): void } }>("sdk: incremental upload on worker threads (real server)", {} as { srv: SdkServer; dir: { path: string; remove(): void } });
test.before(async (ctx) => {
  ctx.srv = await startSdkServer();
  ctx.dir = tempDir("vellum-sdk-files-");
});
test.after(async (ctx) => {
  await ctx.srv?.close();
  ctx.dir?.remove();
});

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** A sorted-records dump, like a database export. */
const dump = (records: number) =>
  Buffer.from(Array.from({ length: records }, (_, i) => `${String(i).padStart(8, "0")}\t{"sku":"SKU-${i}","name":"Product ${i} ${"x".repeat(i % 40)}"}`).join("\n"));

/** `b` in pieces of irregular sizes (1 byte to 300 KiB), as a stream of copies. */
async function* pieces(b: Uint8Array) {
  const sizes = [1, 7_000, 300_000, 3, 65_536, 131_072, 99_999];
  for (let at = 0, i = 0; at < b.length; i++) {
    const n = sizes[i % sizes.length];
    yield Uint8Array.from(b.subarray(at, at + n));
    at += n;
  }
}

/** What the client sent: the committed chunk list and every UploadChunks message, recorded on the way out. */
function recorder() {
  const commits: CommitSnapshotRequest[] = [];
  const sent: string[] = [];
  const interceptor: Interceptor = (next) => async (req) => {
    if (req.method.name === "CommitSnapshot") commits.push(req.message as CommitSnapshotRequest);
    if (req.method.name === "UploadChunks" && req.stream) {
      const messages = req.message as AsyncIterable<UploadChunksRequest>;
      return next({
        ...req,
        message: (async function* () {
          for await (const m of messages) {
            if (m.chunk.length) sent.push(`${m.encoding}:${m.size}:${hex(m.chunk)}`);
            for (let i = 0, at = 0; i < m.moreLengths.length; at += m.moreLengths[i], i++) {
              sent.push(`${m.moreSizes[i] ? "zstd" : "raw"}:${m.moreSizes[i]}:${hex(m.moreData.subarray(at, at + m.moreLengths[i]))}`);
            }
            yield m;
          }
        })(),
      });
    }
    return next(req);
  };
  return { commits, sent, interceptor };
}

const SMALL: Partial<ChunkerOptions> = { minSize: 1024, avgSize: 4096, maxSize: 16384 };
const inputs: [string, Uint8Array, Partial<ChunkerOptions> | undefined][] = [
  ["empty", new Uint8Array(0), undefined],
  ["one tiny chunk", Buffer.from("hello"), undefined],
  ["a dump over many windows", dump(40_000), undefined],
  ["incompressible bytes", patternBytes(700_000, 3), undefined],
  ["repeated blocks (the same chunks in many windows)", Buffer.concat(Array.from({ length: 12 }, () => patternBytes(150_000, 9))), SMALL],
  ["small chunks", dump(8_000), SMALL],
];

for (const [name, content, chunking] of inputs) {
  test(`${name}: the same chunk list, digests, content hash and frames with 0, 1 and 2 workers, from a stream and from a file`, async (ctx) => {
    const ends = chunkBoundaries(content, chunking);
    const expected = ends.map((end, i) => `${hex(createHash("sha256").update(content.subarray(ends[i - 1] ?? 0, end)).digest())}/${end - (ends[i - 1] ?? 0)}`);
    const sha256 = createHash("sha256").update(content).digest("hex");
    const file = join(ctx.dir.path, "content");
    writeFileSync(file, content);
    const runs = [];
    for (const [workers, fromFile] of [[0, false], [1, false], [2, false], [2, true]] as const) {
      const rec = recorder();
      const uploads = createClient(UploadService, createGrpcTransport({ baseUrl: ctx.srv.baseUrl, interceptors: [rec.interceptor] }));
      const header = { storeId: `w${workers}${fromFile ? "f" : ""}-${inputs.findIndex((x) => x[0] === name)}`, resourceType: "dump", snapshotType: SnapshotType.DB };
      // Small windows: many in flight at once, and chunks that span pieces and windows.
      const r = await uploadSnapshotIncremental(uploads, header, fromFile ? file : pieces(content), { workers, chunking, windowBytes: 100_000 });
      assert.is(r.snapshot.sha256, sha256);
      assert.is(r.size, content.length);
      assert.is(rec.commits.length, 1);
      const commit = rec.commits[0];
      assert.is(commit.chunks.length, 0, "the chunk list goes packed");
      const committed = commit.chunkSizes.map((size, i) => `${hex(commit.chunkDigests.subarray(i * 32, i * 32 + 32))}/${size}`);
      assert.equal(committed, expected, `${workers} workers: the chunk list`);
      assert.is(rec.commits[0].header?.expectedSha256, sha256);
      assert.is(r.chunksSent, new Set(expected.map((e) => e.split("/")[0])).size, "each distinct chunk sent once");
      // overheadBytes is left out: what is asked about depends on which windows are still sending.
      runs.push({ sent: rec.sent.sort(), stats: [r.chunksTotal, r.chunksSent, r.bytesSent, r.chunkBytesSent] });
    }
    assert.equal(runs[1].sent, runs[0].sent, "1 worker sends the frames the calling thread makes");
    assert.equal(runs[2].sent, runs[0].sent, "2 workers send the frames the calling thread makes");
    assert.equal(runs[1].stats, runs[0].stats);
    assert.equal(runs[2].stats, runs[0].stats);
    assert.equal(runs[3].sent, runs[0].sent, "read from a file");
    assert.equal(runs[3].stats, runs[0].stats);
  });
}

test("success, abort, a server error, twenty at once sharing the workers, and a failed worker all end with no thread or handle left: the process exits by itself", async (ctx) => {
  const script = join(import.meta.dirname, "support/upload-then-exit.ts");
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", script, ctx.srv.baseUrl], { encoding: "utf8", timeout: 30_000 });
  console.log(`  ${stdout.trim()}`);
  const r = JSON.parse(stdout.trim()) as { ok: { size: number; version: number }; aborted: string; abortMs: number; serverError: string; workerError: string; twentyOk: boolean; threadsAdded: number };
  assert.equal(r.ok, { size: 3_000_000, version: 1 });
  assert.match(r.aborted, /ConnectError: \[canceled\]/);
  assert.ok(r.abortMs < 2000, `the abort rejected after ${Math.round(r.abortMs)} ms`);
  assert.match(r.serverError, /ConnectError/);
  assert.match(r.workerError, /chunk worker: chunk end 50/);
  assert.ok(r.twentyOk, "twenty concurrent uploads each committed their own content");
  // Shared: at most the 2 workers asked for (plus a replacement or a runtime helper thread), not 2 per upload.
  assert.ok(r.threadsAdded >= 1 && r.threadsAdded <= 4, `twenty uploads added ${r.threadsAdded} threads`);
});

test.run();
