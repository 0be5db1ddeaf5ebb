/**
 * Helpers shared by the BlobStore implementations: range resolution and abortable body iteration.
 * Nothing here touches a backend.
 */
import { type BlobBody, type ByteRange, blobInvalidRange } from "./blob-store.js";
import { raceAbort } from "../../lib/abort.js";

/** Half-open byte interval [start, end) inside an object. */
export interface ResolvedRange {
  start: number;
  end: number;
}

/**
 * Resolves an optional range against an object of `size` bytes, clipping it to the object's end.
 * An offset equal to the size yields an empty interval; an offset past it fails with
 * BlobInvalidRange. Negative or non-integer offsets/lengths are programming errors (TypeError).
 */
export function resolveRange(key: string, range: ByteRange | undefined, size: number): ResolvedRange {
  if (range === undefined) return { start: 0, end: size };
  assertRangeShape(range);
  if (range.offset > size) throw blobInvalidRange(key, range.offset, size);
  const end = range.length === undefined ? size : Math.min(size, range.offset + range.length);
  return { start: range.offset, end };
}

/** Throws TypeError for a range whose offset or length is not a non-negative safe integer. */
export function assertRangeShape(range: ByteRange): void {
  const ok = (n: number) => Number.isSafeInteger(n) && n >= 0;
  if (!ok(range.offset) || (range.length !== undefined && !ok(range.length))) {
    throw new TypeError(`invalid byte range: ${JSON.stringify(range)}`);
  }
}

/**
 * Iterates a body's chunks, one at a time (the next chunk is pulled only when the consumer asks
 * for it, so a slow consumer applies backpressure to the source). When `signal` aborts, the
 * pending step rejects with the signal's reason even if the source is stalled, and the source
 * iterator is closed.
 */
export async function* abortableChunks(body: BlobBody, signal?: AbortSignal): AsyncIterable<Uint8Array> {
  signal?.throwIfAborted();
  if (body instanceof Uint8Array) {
    yield body;
    signal?.throwIfAborted();
    return;
  }
  const it = body[Symbol.asyncIterator]();
  let done = false;
  try {
    for (;;) {
      const step = signal ? await raceAbort(it.next(), signal) : await it.next();
      if (step.done) {
        done = true;
        return;
      }
      yield step.value;
      signal?.throwIfAborted();
    }
  } finally {
    // Close the source unless it finished by itself; its own cleanup errors are not ours to report.
    if (!done) void Promise.resolve(it.return?.()).catch(() => undefined);
  }
}
