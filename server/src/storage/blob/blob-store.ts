/**
 * The BlobStore port: a flat key -> bytes store that knows nothing about snapshots.
 * Keys are '/'-separated relative paths of [A-Za-z0-9._/-]; no leading '/', no '..' segments.
 *
 * Contract shared by every implementation (checked by the conformance suite,
 * blob-store-conformance.ts):
 * - `put` is atomic: readers see either no object or the whole object, never a prefix. When `put`
 *   resolves, the object is durable (fsynced / committed by the backend). A put that fails
 *   (including one whose body stream throws) leaves no object, or the previous one untouched.
 *   Errors thrown by the body, and an abort's reason, reach the caller unchanged.
 * - `put` with `ifAbsent` fails with BlobAlreadyExistsError when the key exists; of concurrent
 *   ifAbsent puts of one key exactly one succeeds.
 * - `get` with a range returns exactly bytes [offset, offset+length) clipped to the object's end;
 *   an offset equal to the size yields no bytes, an offset past the end fails with
 *   BlobInvalidRangeError. A missing key fails with BlobNotFoundError (thrown from the first
 *   iteration at the latest).
 * - `get` yields chunks the caller owns: the store keeps no reference to them and never reuses
 *   them, so a caller may change a chunk or move (transfer) the buffer of a chunk that fills it.
 * - `list` yields every key that starts with the prefix (a plain string prefix, not a directory),
 *   in lexicographic (byte) order.
 * - `delete` of a missing key is not an error.
 * - A malformed key or range (negative, fractional) is a programming error: TypeError.
 * Vendor errors never escape: adapters translate them into the errors below.
 */
export interface BlobStore {
  /** Short description for logs, e.g. "file:///data/blobs" or "gs://bucket/prefix". Never secrets. */
  readonly description: string;
  put(key: string, body: BlobBody, options?: PutOptions): Promise<BlobInfo>;
  get(key: string, range?: ByteRange): AsyncIterable<Uint8Array>;
  stat(key: string): Promise<BlobInfo | undefined>;
  list(prefix: string): AsyncIterable<BlobInfo>;
  delete(key: string): Promise<void>;
}

/**
 * Bytes to store: a whole buffer or a stream of chunks. A put may keep references to the chunks it
 * has pulled until it resolves (to gather them into one write, or to choose an upload kind), so a
 * producer must not change a chunk after yielding it.
 */
export type BlobBody = Uint8Array | AsyncIterable<Uint8Array>;

export interface PutOptions {
  /** Fail with BlobAlreadyExistsError instead of overwriting. */
  ifAbsent?: boolean;
  /**
   * Cancels the write while the body is being consumed: the put rejects with the signal's reason
   * and leaves no object behind. Once the whole body has been consumed the commit proceeds.
   */
  signal?: AbortSignal;
}

export interface ByteRange {
  offset: number;
  /** Omitted means to the end of the object. */
  length?: number;
}

export interface BlobInfo {
  key: string;
  size: number;
}

export type BlobErrorKind = "BlobNotFound" | "BlobAlreadyExists" | "BlobInvalidRange" | "BlobUnavailable";

/** Base class of the port's errors. `name` is the discriminator. */
export class BlobError extends Error {
  constructor(
    override readonly name: BlobErrorKind,
    readonly key: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const blobNotFound = (key: string) => new BlobError("BlobNotFound", key, `blob ${key} not found`);
export const blobAlreadyExists = (key: string) =>
  new BlobError("BlobAlreadyExists", key, `blob ${key} already exists`);
export const blobInvalidRange = (key: string, offset: number, size: number) =>
  new BlobError("BlobInvalidRange", key, `offset ${offset} is past the end (${size}) of blob ${key}`);
export const blobUnavailable = (key: string, cause: unknown) =>
  new BlobError("BlobUnavailable", key, `blob backend unavailable for ${key}`, { cause });

export const isBlobError = (e: unknown, kind?: BlobErrorKind): e is BlobError =>
  e instanceof BlobError && (kind === undefined || e.name === kind);

const KEY_RE = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/** Throws TypeError for a key that breaks the port's key rules (a programming error, not user input). */
export function assertValidKey(key: string): void {
  if (!KEY_RE.test(key) || key.split("/").some((s) => s === "." || s === "..")) {
    throw new TypeError(`invalid blob key: ${JSON.stringify(key)}`);
  }
}

