/**
 * Cuts a byte stream into windows of whole chunks (FastCDC boundaries, fastcdc.ts) for the
 * incremental uploader. Each byte is copied once, into the window's own buffer (shared memory), which a
 * worker thread then reads in place; the incomplete chunk at a window's end (under `maxSize` bytes)
 * is copied into the next window's buffer. Boundaries are those of `createChunker` over the same
 * stream, however it is split into pieces.
 */
import { type ChunkerOptions, createBoundaryScanner, resolveChunkerOptions } from "../chunking/fastcdc.js";
import type { ChunkWindow } from "./chunk-pool.js";

export interface WindowCutter {
  /** Feeds the next bytes (copied into the window); returns the windows they complete, in order. */
  push(bytes: Uint8Array): ChunkWindow[];
  /**
   * The free space of the window being filled, for a reader to fill in place (no copy); after
   * writing n bytes at its start, call `wrote(n)`. Never empty.
   */
  writable(): Uint8Array;
  /** Takes the `n` bytes written at the start of `writable()`; returns the windows they complete. */
  wrote(n: number): ChunkWindow[];
  /** Ends the stream: returns the last window (none when no bytes are left). */
  finish(): ChunkWindow[];
}

/**
 * Windows are sealed at the first chunk boundary at or past `windowBytes`, so each holds at least
 * one chunk and at most `windowBytes + maxSize` bytes, the size of every buffer taken from
 * `allocate` (which may hand back a recycled buffer of that size).
 */
export function createWindowCutter(chunking: Partial<ChunkerOptions> | undefined, windowBytes: number, allocate: (bytes: number) => SharedArrayBuffer): WindowCutter {
  if (!Number.isSafeInteger(windowBytes) || windowBytes < 1) throw new RangeError(`windowBytes must be a positive integer, got ${windowBytes}`);
  const o = resolveChunkerOptions(chunking);
  const scanner = createBoundaryScanner(o);
  // The bytes after a window's last boundary are fewer than maxSize, and the stream has a boundary
  // at least every maxSize bytes: a window always finds one before its buffer is full.
  const capacity = windowBytes + o.maxSize;
  let buf: SharedArrayBuffer | undefined;
  let used = 0;
  let ends: number[] = [];

  const seal = (): ChunkWindow => {
    const len = ends[ends.length - 1];
    const w: ChunkWindow = { buf: buf!, len, ends: Uint32Array.from(ends) };
    buf = undefined;
    if (used > len) {
      buf = allocate(capacity);
      new Uint8Array(buf).set(new Uint8Array(w.buf, len, used - len));
    }
    used -= len;
    ends = [];
    return w;
  };

  const writable = (): Uint8Array => {
    buf ??= allocate(capacity);
    if (used === capacity) throw new Error("window full without a chunk boundary");
    return new Uint8Array(buf, used, capacity - used);
  };

  const wrote = (n: number): ChunkWindow[] => {
    if (!Number.isSafeInteger(n) || n < 0 || n > capacity - used) throw new RangeError(`wrote ${n} bytes into ${capacity - used} free`);
    for (const end of scanner.push(new Uint8Array(buf!, used, n))) ends.push(used + end);
    used += n;
    return used >= windowBytes && ends.length > 0 ? [seal()] : [];
  };

  return {
    writable,
    wrote,
    push(bytes) {
      const out: ChunkWindow[] = [];
      for (let at = 0; at < bytes.length; ) {
        const space = writable();
        const n = Math.min(space.length, bytes.length - at);
        space.set(bytes.subarray(at, at + n));
        out.push(...wrote(n));
        at += n;
      }
      return out;
    },
    finish() {
      const last = scanner.finish();
      if (last > 0) ends.push(used);
      const out = ends.length > 0 ? [seal()] : [];
      buf = undefined;
      used = 0;
      return out;
    },
  };
}
