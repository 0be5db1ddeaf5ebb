/**
 * Content-defined chunking with FastCDC (Xia et al., USENIX ATC 2016 / IEEE TPDS 2020): a gear
 * rolling hash, cut-point skipping up to the minimum size, and normalized chunking with two masks.
 *
 * Algorithm (this exact definition is Vellum's chunk format; see FORMAT GUARD below):
 * - A chunk starts with hash h = 0. Its first `minSize` bytes are skipped (not hashed).
 * - Every following byte b updates h = (h << 1) + GEAR[b] (mod 2^32) and is then tested:
 *   while the chunk is shorter than `avgSize` the cut condition is (h & MASK_S) == 0, afterwards
 *   (h & MASK_L) == 0. The byte that satisfies the condition is the chunk's last byte.
 * - A chunk that reaches `maxSize` bytes is cut there. The stream's last chunk may be shorter.
 * - With k = log2(avgSize): MASK_S is the top k+2 bits of the 32-bit word, MASK_L the top k-2 bits
 *   (normalization level 2, the paper's recommendation: a tight size distribution). Top bits are
 *   used because bit j of a left-shifting gear hash depends on the last j+1 bytes, so a boundary
 *   decision looks at a window of up to 32 bytes. MASK_L's bits are a subset of MASK_S's.
 * A boundary depends only on the bytes of its own chunk, so an edit changes the chunk it falls in
 * and, less often, a few after it, until the cut points fall back onto the old ones; every chunk
 * after that re-synchronized boundary is unchanged (on random data: one new chunk for 85% of
 * single edits, mean 1.3). Splitting the input differently across `push` calls never changes the
 * boundaries.
 *
 * FORMAT GUARD: the gear table (gear-table.ts), the masks and the rules above determine chunk ids
 * and therefore dedup between snapshots and between the SDK and the server. fastcdc.test.ts pins
 * golden boundaries; if it fails, the format changed: do not update the golden, fix the change.
 *
 * Pure TypeScript with no platform imports: the SDK runs it in browsers and Node.
 */
import { gearTable } from "./gear-table.js";

export interface ChunkerOptions {
  /** No chunk except the last is shorter than this. */
  minSize: number;
  /** Target average chunk size; a power of two. */
  avgSize: number;
  /** No chunk is longer than this. */
  maxSize: number;
}

/**
 * Defaults for JSON and database dumps: 8 KiB / 32 KiB / 128 KiB (mean chunk about 41 KiB on
 * JSON lines). Measured on a synthetic 196 MB dump of sorted ~150-byte JSON records
 * (bench/chunk-bench.ts "dedup" rows reproduce it at a smaller size), bytes of the new version
 * reused from the old one:
 *
 *   avg size       0.1% records edited/inserted   1% scattered   1% in 20 clusters   chunks
 *   16 KiB                 86%                       24%              98.0%           9.8k
 *   32 KiB (default)       73%                        7%              97.5%           4.6k
 *   64 KiB                 55%                        1%              97.0%           2.3k
 *   256 KiB                11%                        0%              94.5%           0.6k
 *
 * Uniformly scattered edits of 1% of the records defeat any chunk size above a few KiB. Sparse
 * edits are where size matters; 32 KiB keeps most of a lightly edited dump while holding the
 * chunk index, the manifests (about 35 bytes per chunk) and per-chunk costs (80 bytes of GCM tag,
 * nonce and pack index per chunk) at half the 16 KiB figures. Per-chunk zstd ratio on JSON
 * barely moves (7.7x at 32 KiB, 7.8x at 64 KiB).
 */
export const DEFAULT_CHUNKER_OPTIONS: Readonly<ChunkerOptions> = Object.freeze({
  minSize: 8 * 1024,
  avgSize: 32 * 1024,
  maxSize: 128 * 1024,
});

/** Bounds accepted by `chunkerOptionProblems`. */
export const CHUNKER_LIMITS = Object.freeze({
  minSize: 64,
  minAvgSize: 256,
  maxAvgSize: 4 * 1024 * 1024,
  maxSize: 16 * 1024 * 1024,
});

/** Problems with `o` as human-readable sentences; empty when the options are valid. */
export function chunkerOptionProblems(o: ChunkerOptions): string[] {
  const problems: string[] = [];
  const { minSize, avgSize, maxSize } = o;
  for (const [name, v] of [["minSize", minSize], ["avgSize", avgSize], ["maxSize", maxSize]] as const) {
    if (!Number.isSafeInteger(v)) problems.push(`${name} must be an integer`);
  }
  if (problems.length > 0) return problems;
  if (minSize < CHUNKER_LIMITS.minSize) problems.push(`minSize must be at least ${CHUNKER_LIMITS.minSize}`);
  if (avgSize < CHUNKER_LIMITS.minAvgSize || avgSize > CHUNKER_LIMITS.maxAvgSize) {
    problems.push(`avgSize must be between ${CHUNKER_LIMITS.minAvgSize} and ${CHUNKER_LIMITS.maxAvgSize}`);
  }
  if ((avgSize & (avgSize - 1)) !== 0) problems.push("avgSize must be a power of two");
  if (maxSize > CHUNKER_LIMITS.maxSize) problems.push(`maxSize must be at most ${CHUNKER_LIMITS.maxSize}`);
  if (!(minSize < avgSize && avgSize < maxSize)) problems.push("sizes must satisfy minSize < avgSize < maxSize");
  return problems;
}

/** Fills in defaults and throws RangeError listing every problem when the result is invalid. */
export function resolveChunkerOptions(o: Partial<ChunkerOptions> = {}): ChunkerOptions {
  const r = { ...DEFAULT_CHUNKER_OPTIONS, ...o };
  const problems = chunkerOptionProblems(r);
  if (problems.length > 0) throw new RangeError(`invalid chunker options: ${problems.join("; ")}`);
  return r;
}

/** Precomputed per-options constants used by the scanning loop. */
interface Params {
  min: number;
  avg: number;
  max: number;
  maskS: number;
  maskL: number;
  gear: Int32Array;
}

/** State of the chunk being scanned: bytes seen so far and the rolling hash. */
interface ScanState {
  len: number;
  h: number;
}

const topBits = (k: number): number => (~0 << (32 - k)) | 0;

function paramsFor(o: ChunkerOptions): Params {
  const bits = Math.round(Math.log2(o.avgSize));
  const g = gearTable();
  return {
    min: o.minSize,
    avg: o.avgSize,
    max: o.maxSize,
    maskS: topBits(bits + 2),
    maskL: topBits(bits - 2),
    gear: new Int32Array(g.buffer, g.byteOffset, 256),
  };
}

/**
 * Scans buf[pos, end) continuing the chunk described by `s`. Returns the index just past the
 * chunk's last byte when a boundary is found (and resets `s`), or -1 after consuming everything
 * (with `s` updated). Hot loop: int32 arithmetic only, no allocation.
 */
function scan(buf: Uint8Array, pos: number, end: number, s: ScanState, p: Params): number {
  const base = pos - s.len; // chunk start in buf coordinates; negative when it began earlier
  let i = pos;
  const minEnd = base + p.min;
  if (i < minEnd) i = minEnd < end ? minEnd : end;
  const g = p.gear;
  let h = s.h;
  let stop = base + p.avg < end ? base + p.avg : end;
  const maskS = p.maskS;
  for (; i < stop; i++) {
    h = ((h << 1) + g[buf[i]]) | 0;
    if ((h & maskS) === 0) {
      s.len = 0;
      s.h = 0;
      return i + 1;
    }
  }
  const maxEnd = base + p.max;
  stop = maxEnd < end ? maxEnd : end;
  const maskL = p.maskL;
  for (; i < stop; i++) {
    h = ((h << 1) + g[buf[i]]) | 0;
    if ((h & maskL) === 0) {
      s.len = 0;
      s.h = 0;
      return i + 1;
    }
  }
  if (i === maxEnd) {
    s.len = 0;
    s.h = 0;
    return i;
  }
  s.len = i - base;
  s.h = h;
  return -1;
}

/**
 * Boundary-finding core for callers holding a whole buffer: the end index (exclusive) of the chunk
 * that starts at `start`. Returns `buf.length` when no boundary occurs before the end of `buf`,
 * which is the final chunk only if no more data follows.
 */
export function cut(buf: Uint8Array, start: number, options?: Partial<ChunkerOptions>): number {
  const p = paramsFor(resolveChunkerOptions(options));
  const r = scan(buf, start, buf.length, { len: 0, h: 0 }, p);
  return r < 0 ? buf.length : r;
}

/** End offsets (exclusive) of every chunk of `buf` taken as a complete stream. */
export function chunkBoundaries(buf: Uint8Array, options?: Partial<ChunkerOptions>): number[] {
  const p = paramsFor(resolveChunkerOptions(options));
  const out: number[] = [];
  const s: ScanState = { len: 0, h: 0 };
  let pos = 0;
  while (pos < buf.length) {
    const r = scan(buf, pos, buf.length, s, p);
    pos = r < 0 ? buf.length : r;
    out.push(pos);
  }
  return out;
}

/**
 * Boundary finding without holding any bytes: for callers that keep the data themselves (or only
 * need digests, like a hashing worker). Boundaries are identical however the stream is split.
 */
export interface BoundaryScanner {
  /** Feeds the next bytes; returns the end offsets, relative to `bytes`, of the chunks they complete. */
  push(bytes: Uint8Array): number[];
  /** Ends the stream: returns the size of its last, incomplete chunk (0 for none) and starts afresh. */
  finish(): number;
}

export function createBoundaryScanner(options?: Partial<ChunkerOptions>): BoundaryScanner {
  const p = paramsFor(resolveChunkerOptions(options));
  const s: ScanState = { len: 0, h: 0 };
  return {
    push(bytes) {
      const ends: number[] = [];
      let pos = 0;
      while (pos < bytes.length) {
        const r = scan(bytes, pos, bytes.length, s, p);
        if (r < 0) break;
        ends.push(r);
        pos = r;
      }
      return ends;
    },
    finish() {
      const last = s.len;
      s.len = 0;
      s.h = 0;
      return last;
    },
  };
}

export interface Chunker {
  /**
   * Feeds the next bytes of the stream; returns the chunks completed by them, in order. A chunk
   * lying entirely inside `bytes` is returned as a view of it (no copy), so do not overwrite a
   * pushed buffer while its chunks are in use; chunks spanning pushes are fresh buffers. The
   * chunker itself keeps no reference to `bytes` after returning (it copies the incomplete tail).
   */
  push(bytes: Uint8Array): Uint8Array[];
  /** Ends the stream: returns the last, possibly short, chunk (none for an empty remainder). */
  finish(): Uint8Array[];
}

/**
 * A stateful chunker. Memory: one carry buffer of at most `maxSize` bytes for the incomplete
 * chunk. Boundaries are identical however the stream is split across `push` calls.
 */
export function createChunker(options?: Partial<ChunkerOptions>): Chunker {
  const o = resolveChunkerOptions(options);
  const scanner = createBoundaryScanner(o);
  let carry: Uint8Array | undefined;
  let carryLen = 0;

  const take = (part: Uint8Array): Uint8Array => {
    if (carryLen === 0) return part;
    const out = new Uint8Array(carryLen + part.length);
    out.set(carry!.subarray(0, carryLen), 0);
    out.set(part, carryLen);
    carryLen = 0;
    return out;
  };

  return {
    push(bytes) {
      const out: Uint8Array[] = [];
      let pos = 0;
      for (const end of scanner.push(bytes)) {
        out.push(take(bytes.subarray(pos, end)));
        pos = end;
      }
      if (pos < bytes.length) {
        carry ??= new Uint8Array(o.maxSize);
        carry.set(bytes.subarray(pos), carryLen);
        carryLen += bytes.length - pos;
      }
      return out;
    },
    finish() {
      scanner.finish();
      if (carryLen === 0) return [];
      const last = carry!.slice(0, carryLen);
      carryLen = 0;
      return [last];
    },
  };
}

/**
 * Chunks an async byte stream. Buffering is bounded by one `maxSize` carry buffer plus the input
 * buffer being scanned; yielded chunks follow the aliasing rule of `Chunker.push`.
 */
export async function* chunkStream(
  source: AsyncIterable<Uint8Array>,
  options?: Partial<ChunkerOptions>,
): AsyncGenerator<Uint8Array> {
  const chunker = createChunker(options);
  for await (const bytes of source) yield* chunker.push(bytes);
  yield* chunker.finish();
}
