import { Code, ConnectError } from "@connectrpc/connect";
import type { Snapshot } from "../../gen/vellum/v1/snapshot_pb.js";
import type { CallOptions, VellumClient } from "./client.js";
import { IntegrityError, VellumError } from "./errors.js";

export interface DownloadRequest {
  storeId: string;
  snapshotId: string;
  /** First byte to return; 0 by default. Beyond the size fails with OUT_OF_RANGE. */
  offset?: number | bigint;
  /** Bytes to return; 0 or unset means to the end. Ranges past the end are truncated. */
  length?: number | bigint;
}

/** The frames of one DownloadSnapshot message (accept_frames): whole chunks as zstd frames. */
export interface FramesMessage {
  frames: Uint8Array;
  frameLengths: number[];
  frameSizes: number[];
  frameDigests: Uint8Array;
}

/**
 * Decodes the frames of one message into their plaintext, in order, checking every frame's size
 * and, unless its caller checks the SHA-256 of the whole content instead, its SHA-256 against the
 * message (IntegrityError otherwise). The Node entry has one on zstd (createFrameDecoder); without
 * zstd a download takes plaintext.
 */
export interface FrameDecoder {
  decode(m: FramesMessage): Uint8Array;
}

export interface DownloadOptions extends CallOptions {
  /** Receives the snapshot's metadata (from the first stream message) before any content. */
  onSnapshot?: (snapshot: Snapshot) => void;
  /** Called with the running total of content bytes received, after each message. */
  onProgress?: (bytesReceived: number) => void;
  /**
   * Decodes and verifies chunks the server sends as zstd frames; when set, the download asks for
   * them (accept_frames), a sixth of the bytes for a typical dump. The Node helpers set it.
   */
  frames?: FrameDecoder;
}

/** True when the request asks for the whole content (so the snapshot's sha256 applies). */
export function isWholeDownload(req: DownloadRequest): boolean {
  return BigInt(req.offset ?? 0) === 0n && BigInt(req.length ?? 0) === 0n;
}

/** Number of bytes the server must send for `req` given the snapshot's size. */
export function expectedRangeSize(req: DownloadRequest, size: bigint): bigint {
  const offset = BigInt(req.offset ?? 0);
  const length = BigInt(req.length ?? 0);
  const end = length > 0n && offset + length < size ? offset + length : size;
  return end > offset ? end - offset : 0n;
}

/**
 * Streams a snapshot's content, or the byte range [offset, offset+length), through the
 * server-streaming DownloadSnapshot RPC. Yields content chunks (at most 1 MiB each, as the server
 * sends them) in order; nothing is buffered beyond the chunk in hand. The call starts on the first
 * `next()`; stopping early (break, return, a thrown error) cancels it. When the stream ends, the
 * byte count is checked against the snapshot's size and the range (IntegrityError on mismatch).
 * SHA-256 verification is left to callers that can hash incrementally (the Node helpers) or that
 * hold the bytes in memory (downloadSnapshotBytes).
 */
export async function* downloadSnapshot(
  client: Pick<VellumClient, "snapshots">,
  req: DownloadRequest,
  options: DownloadOptions = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  const ac = new AbortController();
  const outer = options.signal;
  const forward = () => ac.abort(outer?.reason);
  if (outer?.aborted) forward();
  outer?.addEventListener("abort", forward, { once: true });
  let snapshot: Snapshot | undefined;
  let received = 0n;
  let finished = false;
  try {
    const stream = client.snapshots.downloadSnapshot(
      { storeId: req.storeId, snapshotId: req.snapshotId, offset: BigInt(req.offset ?? 0), length: BigInt(req.length ?? 0), acceptFrames: options.frames !== undefined },
      { signal: ac.signal, timeoutMs: options.timeoutMs, headers: options.headers },
    );
    for await (const m of stream) {
      if (m.snapshot && !snapshot) {
        snapshot = m.snapshot;
        options.onSnapshot?.(snapshot);
      }
      const framed = m.frameLengths.length > 0;
      if (m.chunk.length === 0 && !framed) continue;
      if (!snapshot) throw new VellumError(Code.Internal, "DownloadSnapshot sent content before the snapshot metadata");
      if (framed && (!options.frames || m.chunk.length > 0)) throw new VellumError(Code.Internal, "DownloadSnapshot sent frames it was not asked for, or with plaintext");
      const content = framed ? options.frames!.decode(m) : m.chunk;
      received += BigInt(content.length);
      options.onProgress?.(Number(received));
      yield content;
    }
    finished = true;
    if (!snapshot) throw new VellumError(Code.Internal, "DownloadSnapshot ended without snapshot metadata");
    const expected = expectedRangeSize(req, snapshot.size);
    if (received !== expected) throw new IntegrityError("size", `${expected} bytes`, `${received} bytes`);
  } catch (e) {
    // A stream cancelled by no one here (Node resets the streams of a connection that broke):
    // the connection was lost, a transient failure.
    if ((e instanceof ConnectError || e instanceof VellumError) && e.code === Code.Canceled && !ac.signal.aborted) throw new VellumError(Code.Unavailable, `connection lost: ${e.rawMessage}`, { cause: e });
    throw e;
  } finally {
    outer?.removeEventListener("abort", forward);
    if (!finished) ac.abort();
  }
}

export interface DownloadBytesOptions extends DownloadOptions {
  /**
   * Check the SHA-256 of a whole download against snapshot.sha256 with WebCrypto (default true;
   * ranges are only size-checked). Requires `crypto.subtle` (a secure context in browsers).
   */
  verify?: boolean;
}

/**
 * Downloads into one Uint8Array (allocated once at the announced size). For content that fits in
 * memory, e.g. in browsers; use the Node entry's file helpers for large snapshots.
 * Throws IntegrityError when the size or (whole downloads) the SHA-256 does not match.
 */
export async function downloadSnapshotBytes(
  client: Pick<VellumClient, "snapshots">,
  req: DownloadRequest,
  options: DownloadBytesOptions = {},
): Promise<{ snapshot: Snapshot; bytes: Uint8Array }> {
  const verify = (options.verify ?? true) && isWholeDownload(req);
  const subtle = globalThis.crypto?.subtle;
  if (verify && !subtle) throw new TypeError("crypto.subtle is unavailable (not a secure context); pass verify: false");
  let snapshot: Snapshot | undefined;
  let bytes = new Uint8Array(0);
  let off = 0;
  const onSnapshot = (s: Snapshot) => {
    snapshot = s;
    bytes = new Uint8Array(Number(expectedRangeSize(req, s.size)));
    options.onSnapshot?.(s);
  };
  for await (const chunk of downloadSnapshot(client, req, { ...options, onSnapshot })) {
    if (off + chunk.length > bytes.length) throw new IntegrityError("size", `${bytes.length} bytes`, `more than ${bytes.length} bytes`);
    bytes.set(chunk, off);
    off += chunk.length;
  }
  if (!snapshot) throw new VellumError(Code.Internal, "DownloadSnapshot ended without snapshot metadata");
  if (verify && subtle) {
    const actual = toHex(new Uint8Array(await subtle.digest("SHA-256", bytes)));
    if (actual !== snapshot.sha256) throw new IntegrityError("sha256", snapshot.sha256, actual);
  }
  return { snapshot, bytes };
}

function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}
