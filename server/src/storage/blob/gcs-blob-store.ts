/**
 * Google Cloud Storage BlobStore over a caller-supplied `@google-cloud/storage` client (tests
 * point it at the emulator through `apiEndpoint`). Key `k` is the object `<prefix>/k`.
 *
 * - put: bodies of at most `simpleUploadMaxBytes` go in one simple upload; larger bodies, and
 *   streams that turn out larger, use one resumable upload session streamed in a single request
 *   (no chunkSize, no compose). The object appears only when the upload is finalized, so readers
 *   never see a prefix; an aborted or failed put abandons the upload and leaves no object. The
 *   source is pulled one chunk at a time with stream backpressure, so memory stays bounded (the
 *   first `simpleUploadMaxBytes` are held while choosing the upload kind). Uploads are checked
 *   against a client-computed CRC32C.
 * - ifAbsent: with `supportsPreconditions` (default; real GCS, and the emulator as started by
 *   scripts/gcs-emulator, which adds precondition checks) the upload carries
 *   `ifGenerationMatch: 0`, which is atomic; the 412 becomes BlobAlreadyExists. Without it (a
 *   stock firebase emulator ignores preconditions) the store checks with a metadata request and
 *   then uploads, serialising ifAbsent puts per key within this store instance: racy against
 *   other instances and processes, so only for tests.
 * - abort: the signal is honoured while the body is being read; once the whole body has been
 *   handed to the upload, the commit is not interrupted.
 * - get: a ranged read first fetches the object's metadata (its size decides clipping and
 *   BlobInvalidRange: GCS answers 416 even for an offset equal to the size, which the port defines
 *   as empty), then reads with one ranged request; a whole read is a single request with CRC32C
 *   validation.
 * - list pages through `objects.list` with the prefix, `listPageSize` names per page. Names under
 *   the prefix that are not valid keys (written by something else) are skipped.
 * - delete ignores 404.
 * Vendor errors are translated by `translateError` (gcs-errors.ts). Retries are the SDK's (the
 * caller configures them on the Storage instance).
 *
 * Streamed downloads: @google-cloud/storage 8.4.0 (teeny-request 11, node-fetch 3) pipes each
 * response body into three pipelines, which puts 12 'error' and 'close' listeners on it, and Node
 * then warns of a possible leak once per download (googleapis/google-cloud-node#9185). The
 * listeners are a fixed number per body and leave with it, so `get` raises that one body's limit.
 */
import type { EventEmitter } from "node:events";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { CreateReadStreamOptions, File, GetFilesOptions, GetFilesResponse, Storage } from "@google-cloud/storage";
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
import { translateError } from "./gcs-errors.js";

export interface GcsBlobStoreOptions {
  storage: Storage;
  bucket: string;
  /** Object-name prefix ('/'-separated, no leading or trailing '/'); '' (default) is the bucket root. */
  prefix?: string;
  /** Whether the backend honours `ifGenerationMatch` (default true; false only for the emulator). */
  supportsPreconditions?: boolean;
  /** Largest body sent as a simple upload (default 4 MiB); anything larger is resumable. */
  simpleUploadMaxBytes?: number;
  /** Names requested per list page (default 1000, the API's maximum). */
  listPageSize?: number;
}

/** Listener limit for one download's response body: the SDK's 12 plus headroom (header comment). */
const RESPONSE_BODY_LISTENERS = 16;

/** `file.createReadStream(opts)` with the response body's listener limit raised (header comment). */
export function readStream(file: File, opts: CreateReadStreamOptions): Readable {
  const stream = file.createReadStream(opts);
  // Emitted before the SDK attaches its pipelines to the body.
  stream.once("response", (body: EventEmitter) => body.setMaxListeners?.(RESPONSE_BODY_LISTENERS));
  return stream;
}

const KEY_SEGMENT_NAME = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

export function createGcsBlobStore(options: GcsBlobStoreOptions): BlobStore {
  const prefix = options.prefix ?? "";
  if (prefix !== "") assertValidKey(prefix);
  const namePrefix = prefix === "" ? "" : `${prefix}/`;
  const bucket = options.storage.bucket(options.bucket);
  const supportsPreconditions = options.supportsPreconditions ?? true;
  const simpleMax = options.simpleUploadMaxBytes ?? 4 * 1024 * 1024;
  const pageSize = options.listPageSize ?? 1000;
  const keyLocks = new Map<string, Promise<unknown>>();

  const objectName = (key: string) => {
    assertValidKey(key);
    return namePrefix + key;
  };

  async function stat(key: string): Promise<BlobInfo | undefined> {
    const file = bucket.file(objectName(key));
    try {
      const [md] = await file.getMetadata();
      return { key, size: Number(md.size) };
    } catch (e) {
      const err = translateError(e, key);
      if (err.name === "BlobNotFound") return undefined;
      throw err;
    }
  }

  async function upload(key: string, body: BlobBody, opts: PutOptions): Promise<BlobInfo> {
    const file = bucket.file(objectName(key));
    const chunks = abortableChunks(body, opts.signal)[Symbol.asyncIterator]();
    // Read ahead up to the simple-upload limit to pick the upload kind.
    let head: Uint8Array[] = [];
    let headBytes = 0;
    let ended = false;
    while (headBytes <= simpleMax) {
      const step = await chunks.next();
      if (step.done) {
        ended = true;
        break;
      }
      head.push(step.value);
      headBytes += step.value.byteLength;
    }
    let size = 0;
    let sourceFailure: { error: unknown } | undefined;
    async function* source() {
      try {
        const buffered = head;
        head = [];
        // shift() drops each buffered chunk once it has been handed to the upload.
        for (let c = buffered.shift(); c !== undefined; c = buffered.shift()) {
          size += c.byteLength;
          yield c;
        }
        if (ended) return;
        for (let step = await chunks.next(); !step.done; step = await chunks.next()) {
          size += step.value.byteLength;
          yield step.value;
        }
      } catch (e) {
        sourceFailure = { error: e };
        throw e;
      }
    }
    const sink = file.createWriteStream({
      resumable: !ended,
      validation: "crc32c",
      metadata: { contentType: "application/octet-stream" },
      ...(opts.ifAbsent && supportsPreconditions ? { preconditionOpts: { ifGenerationMatch: 0 } } : {}),
    });
    try {
      await pipeline(source(), sink);
    } catch (e) {
      if (sourceFailure !== undefined) throw sourceFailure.error; // the caller's error or abort reason
      throw translateError(e, key);
    } finally {
      void chunks.return?.().catch(() => undefined);
    }
    return { key, size };
  }

  /** Runs `fn` after every earlier call for the same key has settled. */
  async function serialised<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = keyLocks.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    keyLocks.set(key, tail);
    try {
      return await run;
    } finally {
      if (keyLocks.get(key) === tail) keyLocks.delete(key);
    }
  }

  return {
    description: `gs://${options.bucket}/${prefix}`,

    async put(key: string, body: BlobBody, opts: PutOptions = {}): Promise<BlobInfo> {
      objectName(key);
      opts.signal?.throwIfAborted();
      if (!opts.ifAbsent || supportsPreconditions) return upload(key, body, opts);
      return serialised(key, async () => {
        if ((await stat(key)) !== undefined) throw blobAlreadyExists(key);
        return upload(key, body, opts);
      });
    },

    get(key: string, range?: ByteRange): AsyncIterable<Uint8Array> {
      const file = bucket.file(objectName(key));
      if (range) assertRangeShape(range);
      return (async function* () {
        let readOpts: { start?: number; end?: number; validation: "crc32c" | false } = { validation: "crc32c" };
        if (range !== undefined) {
          const info = await stat(key);
          if (info === undefined) throw blobNotFound(key);
          const { start, end } = resolveRange(key, range, info.size);
          if (end <= start) return;
          readOpts = { start, end: end - 1, validation: false };
        }
        const stream = readStream(file, readOpts);
        try {
          for await (const chunk of stream) yield chunk as Uint8Array;
        } catch (e) {
          throw translateError(e, key);
        } finally {
          stream.destroy();
        }
      })();
    },

    stat,

    list(keyPrefix: string): AsyncIterable<BlobInfo> {
      return (async function* () {
        let query: GetFilesOptions | null = {
          prefix: namePrefix + keyPrefix,
          maxResults: pageSize,
          autoPaginate: false,
        };
        while (query) {
          let page: GetFilesResponse;
          try {
            page = await bucket.getFiles(query);
          } catch (e) {
            throw translateError(e, namePrefix + keyPrefix);
          }
          const [files, next] = page;
          for (const f of files) {
            const key = f.name.slice(namePrefix.length);
            if (KEY_SEGMENT_NAME.test(key) && !key.split("/").some((s) => s === "." || s === "..")) {
              yield { key, size: Number(f.metadata.size) };
            }
          }
          query = next?.pageToken ? { ...query, pageToken: next.pageToken } : null;
        }
      })();
    },

    async delete(key: string): Promise<void> {
      const file = bucket.file(objectName(key));
      try {
        await file.delete({ ignoreNotFound: true });
      } catch (e) {
        throw translateError(e, key);
      }
    },
  };
}
