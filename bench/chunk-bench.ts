/**
 * Storage engine benchmark:
 * - FastCDC chunking throughput over 512 MiB of mixed data (JSON lines, random bytes, sparse
 *   binary) generated into one reused 64 MiB buffer, against node:crypto SHA-256 over the same
 *   bytes in the same pieces; ratio = chunking / SHA-256.
 * - The engine's encode path (zstd at the default level + AES-256-GCM per chunk), the decode path (decrypt +
 *   decompress + verify), zstd through the codec's reused context against node:zlib's one-shot
 *   calls, and a whole ingest (chunk, hash, dedup, encode, encrypt, pack).
 * - Dedup of a sorted-records JSON dump after 0.1% and 1% scattered record edits and inserts, for
 *   16, 32 (default) and 64 KiB average chunks: the measurement behind DEFAULT_CHUNKER_OPTIONS.
 * Runs in about 10 s. Standalone: `npx tsx bench/chunk-bench.ts`.
 */
import { createCipheriv, createHash } from "node:crypto";
import * as zlib from "node:zlib";
import { pathToFileURL } from "node:url";
import { DEFAULT_CHUNKER_OPTIONS, createChunker } from "../sdk/src/chunking/fastcdc.js";
import { digestOf } from "../server/src/domain/digest.js";
import { createMemoryBlobStore } from "../server/src/storage/blob/memory-blob-store.js";
import { createMemoryChunkIndex } from "../server/src/storage/engine/chunk-index.js";
import { decryptChunk, encryptChunk } from "../server/src/storage/engine/chunk-crypto.js";
import { DEFAULT_ZSTD_LEVEL, decodeChunk, encodeChunk, looksIncompressible } from "../server/src/storage/engine/codec.js";
import { ingestStream } from "../server/src/storage/engine/ingest.js";
import { generateDataKey } from "../server/src/storage/engine/kms.js";
import { createPackWriter } from "../server/src/storage/engine/pack-writer.js";
import type { Codec } from "../server/src/storage/engine/types.js";
import { type BenchModule, type Report, formatRow, mbps, median } from "./report.js";

const MiB = 1024 * 1024;
const ROUND = 64 * MiB;
const ROUNDS = 8; // 512 MiB in all
const PIECE = MiB;


function noiseInto(out: Uint8Array, seed: number): void {
  const key = createHash("sha256").update(`bench ${seed}`).digest();
  const c = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  out.set(c.update(Buffer.alloc(out.length)));
}

/** Sorted JSON records; `edit(i)` renders record i as changed, `insert(i)` adds one after it. */
function jsonDump(count: number, edit: (i: number) => boolean, insert: (i: number) => boolean): Uint8Array {
  const parts: string[] = [];
  const rec = (id: number, v: number) => {
    const r = Math.imul(id, 2654435761) >>> 0;
    return `{"id":${id},"name":"user ${r % 9973}","email":"u${id}@example.com","balance":${(r % 100000) / 100},"active":${r % 3 === 0},"v":${v}}\n`;
  };
  for (let i = 0; i < count; i++) {
    parts.push(rec(i * 10, edit(i) ? 2 : 1));
    if (insert(i)) parts.push(rec(i * 10 + 5, 1));
  }
  return new TextEncoder().encode(parts.join(""));
}

/** Fills the reused buffer with round `k` of the mixed corpus: 50% JSON, 30% random, 20% sparse binary. */
function fillRound(buf: Uint8Array, text: Uint8Array, k: number): void {
  const half = buf.length / 2;
  for (let at = 0; at < half; at += text.length) buf.set(text.subarray(0, Math.min(text.length, half - at)), at);
  for (let i = k * 7; i < half; i += 4099) buf[i] = 48 + ((i + k) % 10); // vary digits between rounds
  const noiseEnd = half + Math.floor(buf.length * 0.3);
  noiseInto(buf.subarray(half, noiseEnd), k);
  const sparse = buf.subarray(noiseEnd);
  sparse.fill(0);
  for (let i = k; i < sparse.length; i += 97) sparse[i] = (i * 31) & 0xff;
}


async function chunkVsSha(report: Report): Promise<void> {
  const buf = new Uint8Array(ROUND);
  const text = jsonDump(200_000, () => false, () => false);
  const chunker = createChunker();
  // Per-round throughputs; medians keep a busy machine's hiccups (and JIT warm-up) out of the figures.
  const chunkRates: number[] = [];
  const shaRates: number[] = [];
  let chunks = 0;
  for (let k = 0; k < ROUNDS; k++) {
    fillRound(buf, text, k);
    let t = performance.now();
    for (let at = 0; at < buf.length; at += PIECE) chunks += chunker.push(buf.subarray(at, at + PIECE)).length;
    chunkRates.push(mbps(ROUND, performance.now() - t));
    t = performance.now();
    const h = createHash("sha256");
    for (let at = 0; at < buf.length; at += PIECE) h.update(buf.subarray(at, at + PIECE));
    h.digest();
    shaRates.push(mbps(ROUND, performance.now() - t));
  }
  chunks += chunker.finish().length;
  const sha = median(shaRates);
  const cdc = median(chunkRates);
  const o = DEFAULT_CHUNKER_OPTIONS;
  report({
    name: `FastCDC chunking ${o.minSize >> 10}/${o.avgSize >> 10}/${o.maxSize >> 10} KiB, 512 MiB mixed (median of 8)`,
    value: cdc,
    unit: "MB/s",
    baseline: { name: "SHA-256", value: sha },
    ratio: cdc / sha,
    target: ">= 500 MB/s",
  });
  report({ name: "SHA-256 (node:crypto), same bytes (median of 8)", value: sha, unit: "MB/s" });
  report({ name: "mean chunk size on the mixed corpus", value: (ROUND * ROUNDS) / chunks / 1024, unit: "KiB" });
}

async function encodePath(report: Report): Promise<void> {
  const buf = new Uint8Array(ROUND);
  fillRound(buf, jsonDump(200_000, () => false, () => false), 1);
  const chunker = createChunker();
  const chunks = [...chunker.push(buf), ...chunker.finish()].map((c) => ({ plain: c, digest: digestOf(c) }));
  const key = generateDataKey();
  const storeId = "bench-store";

  let t = performance.now();
  const records: { codec: Codec; data: Uint8Array; plainSize: number; i: number }[] = [];
  let stored = 0;
  chunks.forEach((c, i) => {
    const e = encodeChunk(c.plain, { compress: true });
    const data = encryptChunk(key, e.data, { storeId, digest: c.digest, codec: e.codec });
    stored += data.length;
    records.push({ codec: e.codec, data, plainSize: c.plain.length, i });
  });
  const syncMs = performance.now() - t;
  report({ name: `encode: zstd-${DEFAULT_ZSTD_LEVEL} + AES-256-GCM per chunk, event loop`, value: mbps(ROUND, syncMs), unit: "MB/s" });
  report({ name: "encode: stored / plain on the mixed corpus", value: stored / ROUND, unit: "x" });

  t = performance.now();
  for (const r of records) {
    const c = chunks[r.i];
    const plain = decodeChunk(r.codec, decryptChunk(key, r.data, { storeId, digest: c.digest, codec: r.codec }), r.plainSize);
    if (!createHash("sha256").update(plain).digest().equals(c.digest.bytes)) throw new Error("bench: decode mismatch");
  }
  report({ name: "decode: AES-256-GCM + zstd + SHA-256 verify", value: mbps(ROUND, performance.now() - t), unit: "MB/s" });
  zstdContexts(report, chunks.map((c) => c.plain).filter((p) => !looksIncompressible(p)));
}

/**
 * zstd at the default level per chunk through the codec's reused native context against node:zlib's one-shot
 * functions (a fresh context per call), on the compressible chunks of the corpus, both directions.
 */
function zstdContexts(report: Report, plains: Uint8Array[]): void {
  const bytes = plains.reduce((n, p) => n + p.length, 0);
  const level = { params: { [zlib.constants.ZSTD_c_compressionLevel]: DEFAULT_ZSTD_LEVEL } };
  const time = (f: () => void) => {
    const t = performance.now();
    f();
    return performance.now() - t;
  };
  let frames: Uint8Array[] = [];
  const oneShot = time(() => void (frames = plains.map((p) => zlib.zstdCompressSync(p, { ...level, pledgedSrcSize: p.length }))));
  const oneShotDecode = time(() => frames.forEach((f, i) => zlib.zstdDecompressSync(f, { maxOutputLength: plains[i].length })));
  const reused = time(() => void (frames = plains.map((p) => encodeChunk(p, { compress: true }).data)));
  const reusedDecode = time(() => frames.forEach((f, i) => decodeChunk("zstd", f, plains[i].length)));
  report({ name: `zstd-${DEFAULT_ZSTD_LEVEL} compress per chunk, reused context`, value: mbps(bytes, reused), unit: "MB/s", baseline: { name: "one-shot zstdCompressSync", value: mbps(bytes, oneShot) }, ratio: oneShot / reused });
  report({ name: "zstd decompress per chunk, reused context", value: mbps(bytes, reusedDecode), unit: "MB/s", baseline: { name: "one-shot zstdDecompressSync", value: mbps(bytes, oneShotDecode) }, ratio: oneShotDecode / reusedDecode });
}

async function ingestPath(report: Report): Promise<void> {
  const buf = new Uint8Array(ROUND);
  const text = jsonDump(200_000, () => false, () => false);
  const rounds = 2;
  async function* source() {
    for (let k = 0; k < rounds; k++) {
      fillRound(buf, text, k + 10);
      for (let at = 0; at < buf.length; at += PIECE) yield buf.subarray(at, at + PIECE);
    }
  }
  const blobStore = createMemoryBlobStore();
  const t = performance.now();
  const r = await ingestStream(source(), {
    storeId: "bench-store",
    index: createMemoryChunkIndex(),
    packWriter: createPackWriter({ blobStore, storeId: "bench-store" }),
    encryption: { dataKey: generateDataKey() },
  });
  const ms = performance.now() - t;
  report({ name: "ingestStream 128 MiB mixed, zstd + encryption, memory store", value: mbps(r.size, ms), unit: "MB/s" });
}

async function dedup(report: Report): Promise<void> {
  const records = 600_000; // ~75 MB dump
  // A fixed pseudo-random choice of records, so runs are comparable.
  const pick = (rate: number, salt: number) => (i: number) => ((Math.imul(i ^ salt, 2246822519) >>> 0) % 100_000) < rate * 100_000;
  const base = jsonDump(records, () => false, () => false);
  const versions = [
    { label: "0.1% records edited+inserted", data: jsonDump(records, pick(0.0005, 1), pick(0.0005, 2)) },
    { label: "1% records edited+inserted", data: jsonDump(records, pick(0.005, 3), pick(0.005, 4)) },
  ];
  for (const avg of [16, 32, 64]) {
    const o = { minSize: (avg / 4) * 1024, avgSize: avg * 1024, maxSize: avg * 4 * 1024 };
    const split = (d: Uint8Array) => {
      const c = createChunker(o);
      return [...c.push(d), ...c.finish()];
    };
    const baseChunks = split(base);
    const known = new Set(baseChunks.map((c) => createHash("sha256").update(c).digest("hex")));
    for (const v of versions) {
      let reused = 0;
      for (const c of split(v.data)) if (known.has(createHash("sha256").update(c).digest("hex"))) reused += c.length;
      report({
        name: `dedup ${avg} KiB avg (${baseChunks.length} chunks/${(base.length / 1e6).toFixed(0)} MB): ${v.label}`,
        value: (100 * reused) / v.data.length,
        unit: "% reused",
      });
    }
  }
}

export const bench: BenchModule = {
  title: "Storage engine: chunking, encode/decode, ingest, dedup",
  async run(report) {
    await chunkVsSha(report);
    await encodePath(report);
    await ingestPath(report);
    await dedup(report);
  },
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(bench.title);
  await bench.run((row) => console.log(formatRow(row)));
}
