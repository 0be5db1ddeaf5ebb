import { createHash, randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { type FileHandle, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Code } from "@connectrpc/connect";
import type { Snapshot } from "../../../gen/vellum/v1/snapshot_pb.js";
import type { VellumClient } from "../client.js";
import { downloadSnapshot, isWholeDownload, type DownloadOptions, type DownloadRequest } from "../download.js";
import { IntegrityError, VellumError } from "../errors.js";

export interface DownloadToOptions extends DownloadOptions {
  /** Check the SHA-256 of a whole download against snapshot.sha256 (ranges are size-checked only). Default true. */
  verify?: boolean;
  /** End the writable when the download completes, as `pipe` does. Default true. */
  end?: boolean;
}

/**
 * Streams a snapshot (or range) into a Node writable, respecting its backpressure: the next chunk
 * is requested from the server only as the writable drains. The SHA-256 of a whole download is
 * computed while streaming and compared with the snapshot's; on mismatch (or a short stream) the
 * returned promise rejects with IntegrityError after all bytes were written, and the writable is
 * destroyed. Resolves with the snapshot's metadata.
 */
export async function downloadSnapshotTo(
  client: Pick<VellumClient, "snapshots">,
  req: DownloadRequest,
  writable: NodeJS.WritableStream,
  options: DownloadToOptions = {},
): Promise<Snapshot> {
  const hash = (options.verify ?? true) && isWholeDownload(req) ? createHash("sha256") : undefined;
  let snapshot: Snapshot | undefined;
  const onSnapshot = (s: Snapshot) => {
    snapshot = s;
    options.onSnapshot?.(s);
  };
  async function* verified(): AsyncGenerator<Uint8Array> {
    for await (const chunk of downloadSnapshot(client, req, { ...options, onSnapshot })) {
      hash?.update(chunk);
      yield chunk;
    }
    if (hash && snapshot) {
      const actual = hash.digest("hex");
      if (actual !== snapshot.sha256) throw new IntegrityError("sha256", snapshot.sha256, actual);
    }
  }
  await pipeline(verified, writable, { end: options.end ?? true });
  if (!snapshot) throw new VellumError(Code.Internal, "DownloadSnapshot ended without snapshot metadata");
  return snapshot;
}

export interface DownloadToFileOptions extends Omit<DownloadToOptions, "end"> {
  /** Ranges of a whole download fetched at once (each its own DownloadSnapshot call). Default 4; 1 streams one call. */
  parallel?: number;
  /** Bytes per range of a parallel download. Default 8 MiB. */
  rangeBytes?: number;
}

/**
 * Downloads into `path` atomically: writes a temp file next to it (same directory, so the rename
 * cannot cross file systems), flushes it to disk, checks it as downloadSnapshotTo does, and only
 * then renames it over `path`. On any failure the temp file is removed and `path` is untouched.
 * A whole download fetches `parallel` ranges at once and writes and hashes them in order, so memory
 * stays within `parallel` × `rangeBytes` (plus the range being written).
 */
export async function downloadSnapshotToFile(
  client: Pick<VellumClient, "snapshots">,
  req: DownloadRequest,
  path: string,
  options: DownloadToFileOptions = {},
): Promise<Snapshot> {
  const temp = join(dirname(path), `.${basename(path)}.${randomUUID()}.part`);
  const parallel = options.parallel ?? 4;
  try {
    const snapshot =
      parallel > 1 && isWholeDownload(req)
        ? await downloadRangesToFile(client, req, temp, { ...options, parallel, rangeBytes: options.rangeBytes ?? 8 * 1024 * 1024 })
        : await downloadSnapshotTo(client, req, createWriteStream(temp, { flags: "wx", flush: true }), { ...options, end: true });
    await rename(temp, path);
    return snapshot;
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
}

/**
 * A whole download as ranges fetched `parallel` at a time into a new file at `temp` (which must not
 * exist), written in order and flushed to disk, while the SHA-256 of the whole is computed and
 * checked against the snapshot's. A range is kept as the message chunks it arrived in (no copy
 * into one buffer) and written with one gathering write; each chunk is hashed once.
 */
async function downloadRangesToFile(
  client: Pick<VellumClient, "snapshots">,
  req: DownloadRequest,
  temp: string,
  options: DownloadToFileOptions & { parallel: number; rangeBytes: number },
): Promise<Snapshot> {
  const call = { signal: options.signal, timeoutMs: options.timeoutMs, headers: options.headers };
  const { snapshot } = await client.snapshots.getSnapshot({ storeId: req.storeId, snapshotId: req.snapshotId }, call);
  if (!snapshot) throw new VellumError(Code.Internal, "GetSnapshot answered without a snapshot");
  options.onSnapshot?.(snapshot);
  const size = Number(snapshot.size);
  const hash = (options.verify ?? true) ? createHash("sha256") : undefined;
  const ac = new AbortController();
  const stop = () => ac.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", stop, { once: true });
  const ranges = Math.ceil(size / options.rangeBytes);
  /** The chunks of one range; its size is checked by downloadSnapshot, its snapshot here. */
  const fetchRange = async (offset: number): Promise<Uint8Array[]> => {
    const chunks: Uint8Array[] = [];
    const sameSnapshot = (s: Snapshot) => {
      if (s.sha256 !== snapshot.sha256) throw new IntegrityError("sha256", snapshot.sha256, s.sha256);
    };
    const range = { ...req, offset, length: Math.min(options.rangeBytes, size - offset) };
    for await (const chunk of downloadSnapshot(client, range, { ...call, signal: ac.signal, onSnapshot: sameSnapshot })) chunks.push(chunk);
    return chunks;
  };
  const fh = await open(temp, "wx");
  try {
    const pending: Promise<Uint8Array[]>[] = [];
    let next = 0;
    const start = () => {
      const p = fetchRange(next++ * options.rangeBytes);
      p.catch(() => undefined); // observed in order below
      pending.push(p);
    };
    while (next < ranges && pending.length < options.parallel) start();
    let written = 0;
    while (pending.length) {
      const chunks = await pending.shift()!;
      if (next < ranges) start();
      if (hash) for (const c of chunks) hash.update(c);
      written = await writeAllAt(fh, chunks, written);
      options.onProgress?.(written);
    }
    if (hash) {
      const actual = hash.digest("hex");
      if (actual !== snapshot.sha256) throw new IntegrityError("sha256", snapshot.sha256, actual);
    }
    await fh.sync();
  } finally {
    options.signal?.removeEventListener("abort", stop);
    ac.abort();
    await fh.close();
  }
  return snapshot;
}

/** Buffers per gathering write (Linux's IOV_MAX is 1024). */
const WRITEV_MAX_BUFFERS = 1024;

/** Writes `chunks` back to back at `position` (continuing after short writes); returns the end position. */
async function writeAllAt(fh: FileHandle, chunks: readonly Uint8Array[], position: number): Promise<number> {
  let queue = chunks.filter((c) => c.length > 0);
  while (queue.length) {
    const { bytesWritten } = await fh.writev(queue.slice(0, WRITEV_MAX_BUFFERS), position);
    if (bytesWritten <= 0) throw new Error(`writev at ${position} wrote ${bytesWritten} bytes`);
    position += bytesWritten;
    let done = 0;
    let rest = bytesWritten;
    while (done < queue.length && rest >= queue[done].length) rest -= queue[done++].length;
    queue = queue.slice(done);
    if (rest > 0) queue[0] = queue[0].subarray(rest);
  }
  return position;
}
