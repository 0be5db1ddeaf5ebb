/**
 * Per-chunk compression. A chunk is stored as zstd only when that saves at least
 * MIN_SAVING_RATIO (5%) of its size; otherwise (already-compressed media, random bytes, tiny
 * chunks) it is stored raw, which costs nothing to decode. The chosen codec is recorded per chunk.
 */
import type { Codec } from "./types.js";
import { createZstdContexts, type ZstdContexts } from "../../../../sdk/src/node/zstd-context.js";

/** This thread's zstd contexts (zstd-context.ts); undefined only on a Node without zstd. */
const contexts = createZstdContexts();

/** The contexts, or an error naming the cause: the server needs node:zlib's zstd (Node >= 22.15). */
function zstd(): ZstdContexts {
  if (contexts === undefined) throw new Error("this Node's zlib has no zstd (Node 22.15 or later is required)");
  return contexts;
}

/**
 * zstd level used unless one is configured. Level 1, measured per default-size chunk on this
 * project's benchmark data: JSON lines 496 MB/s at 0.177 of the size, the sorted dump 772 MB/s at
 * 0.132; level 3 took 394 and 434 MB/s for 0.174 and 0.131. Compression is most of an ingest's
 * CPU on compressible data, and level 3 bought under 2% of stored size for it.
 */
export const DEFAULT_ZSTD_LEVEL = 1;

/** zstd is kept only when compressed size <= (1 - MIN_SAVING_RATIO) * plain size. */
export const MIN_SAVING_RATIO = 0.05;

export interface EncodeOptions {
  /** False stores every chunk raw. */
  compress: boolean;
  /** zstd level, 1..19; default DEFAULT_ZSTD_LEVEL. */
  level?: number;
}

export interface EncodedChunk {
  codec: Codec;
  data: Uint8Array;
}

function checkLevel(level: number): number {
  if (!Number.isInteger(level) || level < 1 || level > 19) throw new RangeError(`zstd level must be 1..19, got ${level}`);
  return level;
}

function choose(plain: Uint8Array, compressed: Uint8Array): EncodedChunk {
  return compressed.length <= plain.length * (1 - MIN_SAVING_RATIO)
    ? { codec: "zstd", data: compressed }
    : { codec: "raw", data: plain };
}

/**
 * Encodes on the calling thread through this thread's zstd context. A raw result shares `plain`'s
 * memory. There is deliberately no async variant: node:zlib's callback zstd API costs a fresh
 * context and several thread-pool hops per call and measured 2.5x slower than this, even with
 * several calls in flight on two cores.
 */
export function encodeChunk(plain: Uint8Array, opts: EncodeOptions): EncodedChunk {
  if (!opts.compress || plain.length === 0 || looksIncompressible(plain)) return { codec: "raw", data: plain };
  const level = checkLevel(opts.level ?? DEFAULT_ZSTD_LEVEL);
  return choose(plain, zstd().compress(plain, level));
}

/** Bits per byte above which a sample is treated as already compressed or encrypted data. */
export const INCOMPRESSIBLE_BITS_PER_BYTE = 7.5;
const SAMPLE_BYTES = 2048;
const histogram = new Uint32Array(256);
/** c * log2(c) for every count a sample can reach: the entropy loop then needs no logarithms. */
const C_LOG2_C = Float64Array.from({ length: SAMPLE_BYTES + 1 }, (_, c) => (c ? c * Math.log2(c) : 0));

/**
 * Cheap compressibility probe (in the spirit of borg's "auto" compression): the Shannon entropy of
 * up to 2 KiB sampled evenly across the chunk. Random, encrypted and already-compressed data sits
 * near 8 bits/byte and is stored raw without spending a zstd pass on it; text, JSON and database
 * pages sit far below and are compressed. The result only picks the codec, never correctness.
 */
export function looksIncompressible(plain: Uint8Array): boolean {
  if (plain.length < 512) return false;
  histogram.fill(0);
  const stride = Math.max(1, Math.floor(plain.length / SAMPLE_BYTES));
  const n = Math.min(SAMPLE_BYTES, Math.floor(plain.length / stride));
  for (let i = 0, at = 0; i < n; i++, at += stride) histogram[plain[at]]++;
  // -sum (c/n) log2(c/n) = log2(n) - sum(c log2 c) / n
  let sum = 0;
  for (let b = 0; b < 256; b++) sum += C_LOG2_C[histogram[b]];
  const bits = Math.log2(n) - sum / n;
  // A 2 KiB sample of uniform bytes measures ~7.9 bits; text and JSON are typically 4.5-6.
  return bits > INCOMPRESSIBLE_BITS_PER_BYTE;
}

/**
 * Decodes a stored chunk of `plainSize` plaintext bytes: a zstd chunk into `into` when given (at
 * least plainSize + 1 bytes, see ZstdContexts.decompress), a raw one as is. Throws (a zlib error
 * or RangeError) on corrupt input or a size mismatch; decompression never produces more than
 * `plainSize` bytes, so a corrupt frame cannot exhaust memory. Callers turn failures into DATA_LOSS.
 */
export function decodeChunk(codec: Codec, data: Uint8Array, plainSize: number, into?: Uint8Array): Uint8Array {
  let out: Uint8Array;
  switch (codec) {
    case "raw":
      out = data;
      break;
    case "zstd":
      // Exactly one complete frame, output capped at plainSize (ZstdContexts.decompress).
      out = zstd().decompress(data, plainSize, into);
      break;
    default:
      throw new RangeError(`unknown codec ${String(codec satisfies never)}`);
  }
  if (out.length !== plainSize) throw new RangeError(`decoded ${out.length} bytes, expected ${plainSize}`);
  return out;
}
