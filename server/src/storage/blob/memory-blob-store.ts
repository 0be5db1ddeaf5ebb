/**
 * In-memory BlobStore for tests and single-process tools. Objects live in a Map for the life of
 * the store; nothing is shared between instances.
 *
 * - `put` buffers the whole body (memory is not bounded by design) and commits it in one
 *   synchronous step, so readers never see a partial object and `ifAbsent` is race-free.
 * - Stored bytes are copied on the way in and on the way out: callers may reuse or mutate their
 *   buffers, and mutating a chunk returned by `get` does not change the stored object.
 * - `get` and `list` work on a snapshot taken at their first iteration.
 */
import {
  type BlobBody,
  type BlobInfo,
  type BlobStore,
  type ByteRange,
  type PutOptions,
  assertValidKey,
  blobAlreadyExists,
  blobNotFound,
} from "./blob-store.js";
import { abortableChunks, assertRangeShape, resolveRange } from "./blob-support.js";

/** Size of the chunks `get` yields. */
const READ_CHUNK = 1024 * 1024;

export function createMemoryBlobStore(): BlobStore {
  const objects = new Map<string, Uint8Array>();

  return {
    description: "memory://",

    async put(key: string, body: BlobBody, options: PutOptions = {}): Promise<BlobInfo> {
      assertValidKey(key);
      if (options.ifAbsent && objects.has(key)) throw blobAlreadyExists(key);
      const parts: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of abortableChunks(body, options.signal)) {
        parts.push(new Uint8Array(chunk)); // a copy, also when chunk is a Buffer
        size += chunk.byteLength;
      }
      const data = concat(parts, size);
      // Check and commit in one synchronous step: nothing can interleave between them.
      if (options.ifAbsent && objects.has(key)) throw blobAlreadyExists(key);
      objects.set(key, data);
      return { key, size };
    },

    get(key: string, range?: ByteRange): AsyncIterable<Uint8Array> {
      assertValidKey(key);
      if (range) assertRangeShape(range);
      return (async function* () {
        const data = objects.get(key);
        if (data === undefined) throw blobNotFound(key);
        const { start, end } = resolveRange(key, range, data.byteLength);
        for (let at = start; at < end; at += READ_CHUNK) {
          yield data.slice(at, Math.min(end, at + READ_CHUNK));
        }
      })();
    },

    async stat(key: string): Promise<BlobInfo | undefined> {
      assertValidKey(key);
      const data = objects.get(key);
      return data === undefined ? undefined : { key, size: data.byteLength };
    },

    list(prefix: string): AsyncIterable<BlobInfo> {
      return (async function* () {
        const keys = [...objects.keys()].filter((k) => k.startsWith(prefix)).sort();
        for (const key of keys) {
          const data = objects.get(key);
          if (data !== undefined) yield { key, size: data.byteLength };
        }
      })();
    },

    async delete(key: string): Promise<void> {
      assertValidKey(key);
      objects.delete(key);
    },
  };
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
