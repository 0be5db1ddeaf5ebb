/**
 * Byte sources for uploads, normalized to an async iterable and re-sliced into fixed-size pieces
 * with bounded memory. Platform-neutral (browsers and Node).
 */

/**
 * Content to upload: an async (or sync) iterable of byte chunks (a Node Readable qualifies), a web
 * ReadableStream, a Blob/File, or one Uint8Array already in memory.
 */
export type ByteSource =
  | AsyncIterable<Uint8Array>
  | Iterable<Uint8Array>
  | ReadableStream<Uint8Array>
  | Blob
  | Uint8Array;

/** Reads the source lazily; yields its chunks as they come. Throws TypeError for a non-source. */
export function bytesOf(source: ByteSource): AsyncIterable<Uint8Array> {
  if (source instanceof Uint8Array) return single(source);
  if (typeof Blob !== "undefined" && source instanceof Blob) return readStream(source.stream());
  if (typeof (source as ReadableStream<Uint8Array>).getReader === "function") return readStream(source as ReadableStream<Uint8Array>);
  if (typeof (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === "function") return source as AsyncIterable<Uint8Array>;
  if (typeof (source as Iterable<Uint8Array>)[Symbol.iterator] === "function") return fromSync(source as Iterable<Uint8Array>);
  throw new TypeError("upload source must be an (async) iterable of Uint8Array, a ReadableStream, a Blob or a Uint8Array");
}

/**
 * Re-slices `source` into pieces of exactly `size` bytes (the last may be shorter; no empty piece
 * is yielded). Holds at most one `size` buffer plus the current input chunk: large input chunks are
 * passed on as zero-copy subarrays, small ones are copied into a fresh buffer that is handed over
 * when full. Every input chunk must be a Uint8Array (TypeError otherwise, e.g. for a Node stream
 * with an encoding set). The consumer owns each yielded piece.
 */
export async function* rechunk(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  if (!Number.isInteger(size) || size < 1) throw new RangeError("chunk size must be a positive integer");
  let buf: Uint8Array | undefined;
  let fill = 0;
  for await (const piece of source) {
    if (!(piece instanceof Uint8Array)) {
      throw new TypeError(`upload source yielded ${typeof piece === "string" ? "a string" : typeof piece}; expected Uint8Array chunks`);
    }
    let off = 0;
    while (off < piece.length) {
      if (fill === 0 && piece.length - off >= size) {
        yield piece.subarray(off, off + size);
        off += size;
        continue;
      }
      buf ??= new Uint8Array(size);
      const n = Math.min(size - fill, piece.length - off);
      buf.set(piece.subarray(off, off + n), fill);
      fill += n;
      off += n;
      if (fill === size) {
        yield buf;
        buf = undefined;
        fill = 0;
      }
    }
  }
  if (buf && fill > 0) yield buf.subarray(0, fill);
}

async function* single(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

async function* fromSync(it: Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield* it;
}

/** Iterates a ReadableStream with a reader (works where streams are not async-iterable). */
async function* readStream(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  let done = false;
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) {
        done = true;
        return;
      }
      yield r.value;
    }
  } finally {
    // Stopped early (the upload failed): tell the producer nobody will read the rest.
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
