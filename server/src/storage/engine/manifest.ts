/**
 * A snapshot's manifest: its ordered chunk list. Cumulative offsets let a range read find the
 * chunks covering any byte range by binary search, without reading earlier chunks.
 *
 * Binary encoding, version 1 (all varints unsigned LEB128):
 *   "VMF" || version u8 (1) || varint entry count ||
 *   per entry: digest (32 bytes) || varint plaintext size (> 0) ||
 *   SHA-256 of all preceding bytes (32)
 */
import { createHash } from "node:crypto";
import { Sha256 } from "../../domain/digest.js";
import { dataLoss, outOfRange } from "../../domain/errors.js";

export interface ManifestEntry {
  digest: Sha256;
  size: number;
}

export interface Manifest {
  readonly entries: readonly ManifestEntry[];
  /** offsets[i] is where entry i starts; offsets[entries.length] is the content size. */
  readonly offsets: readonly number[];
  readonly size: number;
}

/** Builds a manifest; every entry must have a positive integer size. */
export function createManifest(entries: readonly ManifestEntry[]): Manifest {
  const offsets = new Array<number>(entries.length + 1);
  let at = 0;
  entries.forEach((e, i) => {
    if (!Number.isSafeInteger(e.size) || e.size <= 0) throw new RangeError(`manifest entry ${i} has size ${e.size}`);
    offsets[i] = at;
    at += e.size;
  });
  offsets[entries.length] = at;
  return { entries: [...entries], offsets, size: at };
}

/**
 * The chunks covering bytes [offset, offset + length): entries first..end-1, starting
 * `startInFirst` bytes into the first and ending `endInLast` bytes into the last (exclusive).
 * The range is clipped to the content; an empty range has first === end.
 */
export interface ChunkSpan {
  first: number;
  end: number;
  startInFirst: number;
  endInLast: number;
}

/** Index of the entry containing byte `pos` (0 <= pos < size). */
function entryAt(m: Manifest, pos: number): number {
  let lo = 0;
  let hi = m.entries.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (m.offsets[mid] <= pos) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Locates a byte range in O(log n). `offset` may equal the size (empty result); past it fails
 * with OUT_OF_RANGE. `length` is clipped to the end of the content.
 */
export function locateRange(m: Manifest, offset: number, length: number): ChunkSpan {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new RangeError(`invalid range offset ${offset} length ${length}`);
  }
  if (offset > m.size) throw outOfRange(`offset ${offset} is past the end of the content (${m.size} bytes)`);
  const stop = Math.min(m.size, offset + length);
  if (stop === offset) return { first: 0, end: 0, startInFirst: 0, endInLast: 0 };
  const first = entryAt(m, offset);
  const last = entryAt(m, stop - 1);
  return { first, end: last + 1, startInFirst: offset - m.offsets[first], endInLast: stop - m.offsets[last] };
}

const MAGIC = Buffer.from("VMF", "ascii");
const VERSION = 1;

/** Writes `n` as a varint at `at`; returns the position after it. */
function putVarint(out: Uint8Array, at: number, n: number): number {
  while (n >= 0x80) {
    out[at++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  out[at++] = n;
  return at;
}

export function encodeManifest(m: Manifest): Uint8Array {
  // One buffer sized for the worst case (a varint of a safe integer is at most 8 bytes): a manifest
  // of a multi-gigabyte snapshot has hundreds of thousands of entries, so no per-entry allocation.
  const out = Buffer.allocUnsafe(MAGIC.length + 1 + 8 + m.entries.length * (32 + 8) + 32);
  out.set(MAGIC, 0);
  out[MAGIC.length] = VERSION;
  let at = putVarint(out, MAGIC.length + 1, m.entries.length);
  for (const e of m.entries) {
    out.set(e.digest.bytes, at);
    at = putVarint(out, at + 32, e.size);
  }
  const body = out.subarray(0, at);
  out.set(createHash("sha256").update(body).digest(), at);
  return Uint8Array.prototype.slice.call(out, 0, at + 32);
}

/** Parses an encoded manifest. Any malformation or checksum mismatch fails with DATA_LOSS. */
export function decodeManifest(bytes: Uint8Array): Manifest {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const corrupt = (why: string) => dataLoss(`manifest is corrupt: ${why}`);
  if (b.length < MAGIC.length + 1 + 1 + 32) throw corrupt("too short");
  const body = b.subarray(0, b.length - 32);
  if (!createHash("sha256").update(body).digest().equals(b.subarray(b.length - 32))) throw corrupt("checksum mismatch");
  if (!body.subarray(0, 3).equals(MAGIC) || body[3] !== VERSION) throw corrupt("unknown format");
  let at = 4;
  const varint = (): number => {
    let n = 0;
    let scale = 1;
    for (;;) {
      if (at >= body.length) throw corrupt("truncated");
      const byte = body[at++];
      n += (byte & 0x7f) * scale;
      if (n > Number.MAX_SAFE_INTEGER) throw corrupt("number too large");
      if (byte < 0x80) return n;
      scale *= 0x80;
    }
  };
  const count = varint();
  if (count > body.length / 33) throw corrupt("entry count exceeds the data");
  const entries: ManifestEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 32 > body.length) throw corrupt("truncated");
    const digest = Sha256.fromBytes(body.subarray(at, at + 32));
    at += 32;
    const size = varint();
    if (size === 0) throw corrupt(`entry ${i} is empty`);
    entries.push({ digest, size });
  }
  if (at !== body.length) throw corrupt("trailing bytes");
  return createManifest(entries);
}
