/**
 * The per-chunk CPU work of an incremental upload, as pure functions over one window buffer: the
 * same code runs on the calling thread (workers: 0) and in chunk-worker.ts, so both give identical
 * digests and frames. A window is a buffer holding whole chunks back to back; `ends` are the
 * chunks' end offsets (exclusive), ascending, the last one the window's length.
 */
import { hash } from "node:crypto";
import type { ZstdContexts } from "./zstd-context.js";

/** A chunk is sent as a zstd frame only when the frame is at most this share of its size. */
export const MAX_FRAME_RATIO = 0.95;

/** Throws RangeError unless `ends` are ascending offsets within `byteLength`. */
export function checkEnds(ends: Uint32Array, byteLength: number): void {
  let prev = 0;
  for (const end of ends) {
    if (end <= prev || end > byteLength) throw new RangeError(`chunk end ${end} is not within (${prev}, ${byteLength}]`);
    prev = end;
  }
}

/** The SHA-256 of every chunk, 32 bytes each, in order. */
export function hashChunks(window: Uint8Array, ends: Uint32Array): Uint8Array {
  checkEnds(ends, window.length);
  const digests = new Uint8Array(ends.length * 32);
  let from = 0;
  ends.forEach((end, i) => {
    // One-shot hashing: no Hash object per chunk, whose native context would wait for a GC.
    digests.set(hash("sha256", window.subarray(from, end), "buffer"), i * 32);
    from = end;
  });
  return digests;
}

/** Frames for some chunks of a window: `lengths[i]` is chunk i's frame length in `frames`, or -1 to send it raw. */
export interface CompressedChunks {
  /** The frames of the compressed chunks, back to back, in chunk order. */
  frames: Uint8Array;
  lengths: Int32Array;
}

/**
 * zstd frames at `level` for the chunks `picks` (indexes into `ends`), written back to back into
 * `out` (at least as long as the window: a kept frame is smaller than its chunk); a chunk whose
 * frame would be larger than MAX_FRAME_RATIO of it, or every chunk when `zstd` is undefined, is
 * marked raw. Nothing is allocated per chunk: the frames go straight into `out`, a buffer the
 * caller reuses from window to window.
 */
export function compressChunks(window: Uint8Array, ends: Uint32Array, picks: Uint32Array, level: number, zstd: ZstdContexts | undefined, out: Uint8Array): CompressedChunks {
  checkEnds(ends, window.length);
  if (out.length < window.length) throw new RangeError(`frames need ${window.length} bytes of room, got ${out.length}`);
  const lengths = new Int32Array(picks.length).fill(-1);
  let total = 0;
  picks.forEach((c, i) => {
    if (c >= ends.length) throw new RangeError(`chunk ${c} is not in a window of ${ends.length}`);
    if (zstd === undefined) return;
    const plain = window.subarray(c === 0 ? 0 : ends[c - 1], ends[c]);
    const frame = zstd.compress(plain, level, out.subarray(total));
    if (frame.length > plain.length * MAX_FRAME_RATIO) return;
    if (frame.buffer !== out.buffer || frame.byteOffset !== out.byteOffset + total) out.set(frame, total); // a context's fallback path
    lengths[i] = frame.length;
    total += frame.length;
  });
  return { frames: out.subarray(0, total), lengths };
}
