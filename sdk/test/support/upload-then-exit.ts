/**
 * Child process for incremental-workers.test.ts: incremental uploads on worker threads that succeed,
 * are aborted, meet a server error, twenty at once (counting the threads they add), and a chunk
 * pool whose worker fails; then it just returns.
 * The process must exit by itself (no worker or handle left). Usage: <server URL>; prints one JSON line.
 */
import { readdirSync } from "node:fs";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { SnapshotType } from "../../../gen/vellum/v1/snapshot_pb.js";
import { UploadService } from "../../../gen/vellum/v1/upload_service_pb.js";
import { createChunkPool } from "../../src/node/chunk-pool.js";
import { uploadSnapshotIncremental } from "../../src/node/incremental-upload.js";
import { patternBytes } from "./pattern.js";

const uploads = createClient(UploadService, createGrpcTransport({ baseUrl: process.argv[2] }));
const header = { storeId: "exit", resourceType: "dump", resourceId: "exit", snapshotType: SnapshotType.DB };
const errorOf = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/** Endless content: 1 MiB pieces of one pattern, each with its index written over its start. */
async function* endless() {
  const base = patternBytes(1 << 20, 7);
  for (let i = 0; ; i++) {
    const piece = Uint8Array.from(base);
    new DataView(piece.buffer).setUint32(0, i);
    yield piece;
  }
}

const ok = await uploadSnapshotIncremental(uploads, header, (async function* () { yield patternBytes(3_000_000, 1); })(), { workers: 2, windowBytes: 256 * 1024 });

const abort = new AbortController();
let abortedAt = 0;
const aborted = await uploadSnapshotIncremental(uploads, header, endless(), {
  workers: 2,
  signal: abort.signal,
  onProgress: (n) => {
    if (n >= 8 << 20 && !abortedAt) {
      abortedAt = performance.now();
      abort.abort();
    }
  },
}).then(
  () => "resolved",
  (e: unknown) => errorOf(e),
);
const abortMs = performance.now() - abortedAt;

const serverError = await uploadSnapshotIncremental(uploads, { ...header, storeId: "" }, endless(), { workers: 2 }).then(
  () => "resolved",
  (e: unknown) => errorOf(e),
);

// Twenty uploads at once share the process's worker threads: count this process's threads meanwhile.
const threads = () => readdirSync("/proc/self/task").length;
const threadsBefore = threads();
let threadsPeak = threadsBefore;
const sampler = setInterval(() => (threadsPeak = Math.max(threadsPeak, threads())), 2);
const twenty = await Promise.all(
  Array.from({ length: 20 }, (_, i) =>
    uploadSnapshotIncremental(uploads, { ...header, storeId: `twenty-${i}` }, (async function* () { yield patternBytes(600_000, 100 + i); })(), { workers: 2, windowBytes: 64 * 1024 }),
  ),
);
clearInterval(sampler);
const twentyOk = twenty.every((r, i) => r.size === 600_000 && r.snapshot.storeId === `twenty-${i}`);

const pool = createChunkPool(2);
const buf = new SharedArrayBuffer(1024);
const workerError = await pool.hash({ buf, len: 1024, ends: Uint32Array.of(100, 50) }).then(
  () => "resolved",
  (e: unknown) => errorOf(e),
);
const afterError = await pool.hash({ buf: new SharedArrayBuffer(64), len: 64, ends: Uint32Array.of(64) }).then(
  () => "resolved",
  (e: unknown) => errorOf(e),
);
await pool.close();

console.log(JSON.stringify({ ok: { size: ok.size, version: Number(ok.snapshot.version) }, aborted, abortMs, serverError, workerError, afterError, twentyOk, threadsAdded: threadsPeak - threadsBefore }));
