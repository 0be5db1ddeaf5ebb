import { createHash, randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { type FileHandle, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Code } from "@connectrpc/connect";
import type { Snapshot } from "../../../gen/vellum/v1/snapshot_pb.js";
import type { VellumClient } from "../client.js";
import { downloadSnapshot, isWholeDownload, type DownloadOptions, type DownloadRequest, type FrameDecoder } from "../download.js";
import { IntegrityError, toVellumError, VellumError } from "../errors.js";
import { resolveRetryOptions, retryDelay, type RetryOptions } from "../retry-policy.js";
import { sleep } from "../vellum-transport.js";
import { type FileHasher, fileHasher } from "./file-hasher.js";
import { createFrameDecoder } from "./frame-decoder.js";

export interface DownloadToOptions extends Omit<DownloadOptions, "frames"> {
  /**
   * Ask the server for whole chunks as zstd frames and decode and verify them here
   * (createFrameDecoder): a sixth of the bytes on the wire for a typical dump. Default true where
   * this Node has zstd; false takes plaintext.
   */
  frames?: boolean;
  /**
   * Check the SHA-256 of a whole download against snapshot.sha256. Default true. A range, or a
   * download with this off, is size-checked, and the frames it takes are checked against their
   * chunks' digests.
   */
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
    for await (const chunk of downloadSnapshot(client, req, { ...options, onSnapshot, frames: options.frames === false ? undefined : createFrameDecoder({ reuse: false, digests: !hash }) })) {
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
  /**
   * How a range of a parallel download that fails with a retryable code (a lost connection, a
   * restarting server: UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED) is resumed from the
   * byte it reached. Attempts count per range and start over once an attempt made progress.
   * Missing fields take DEFAULT_RESUME; `false` fails the download on the first error.
   */
  resume?: Partial<RetryOptions> | false;
}

/** Resumes of a range: up to 8 attempts, backoff from 250 ms to 10 s (about 26 s of waiting in all). */
export const DEFAULT_RESUME: Readonly<Partial<RetryOptions>> = Object.freeze({ maxAttempts: 8, initialDelayMs: 250 });

/**
 * Downloads into `path` atomically: writes a temp file next to it (same directory, so the rename
 * cannot cross file systems), flushes it to disk, checks it as downloadSnapshotTo does, and only
 * then renames it over `path`. On any failure the temp file is removed and `path` is untouched.
 * A whole download fetches `parallel` ranges at once, each written in place as its messages
 * arrive, and hashes the file in order as the ranges complete, so memory holds about `parallel`
 * messages whatever `rangeBytes` is; a range cut off by a transient failure resumes where it
 * stopped (`resume`).
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
 * exist): each message's chunk is written at its place in the file as it arrives, so memory holds
 * only the messages in hand, and no buffer is allocated per range (fresh pages fault in, which
 * cost more CPU than the bytes). The SHA-256 of the whole is computed in order by reading back the
 * prefix of completed ranges (from the page cache; on a worker thread for a large file,
 * fileHasher) while later ranges still download, and checked against the snapshot's before the
 * file is flushed to disk.
 */
async function downloadRangesToFile(
  client: Pick<VellumClient, "snapshots">,
  req: DownloadRequest,
  temp: string,
  options: DownloadToFileOptions & { parallel: number; rangeBytes: number },
): Promise<Snapshot> {
  const call = { signal: options.signal, timeoutMs: options.timeoutMs, headers: options.headers };
  const resume = options.resume === false ? undefined : resolveRetryOptions({ ...DEFAULT_RESUME, ...options.resume });
  const { snapshot } = await client.snapshots.getSnapshot({ storeId: req.storeId, snapshotId: req.snapshotId }, call);
  if (!snapshot) throw new VellumError(Code.Internal, "GetSnapshot answered without a snapshot");
  options.onSnapshot?.(snapshot);
  const size = Number(snapshot.size);
  const ranges = Math.ceil(size / options.rangeBytes);
  const ac = new AbortController();
  const stop = () => ac.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", stop, { once: true });
  const sameSnapshot = (s: Snapshot) => {
    if (s.sha256 !== snapshot.sha256) throw new IntegrityError("sha256", snapshot.sha256, s.sha256);
  };
  const fh = await open(temp, "wx+"); // read too: the hash reads the file back
  let hasher: FileHasher | undefined;
  try {
    hasher = options.verify ?? true ? fileHasher(fh, temp, size) : undefined;
    const done: boolean[] = [];
    let prefix = 0; // ranges complete from the start
    let written = 0;
    let next = 0;
    /** Downloads [position, end) into its place, resuming after transient failures; the size is checked by downloadSnapshot. */
    const fetchRange = async (position: number, end: number, frames: FrameDecoder | undefined) => {
      for (let attempt = 1; ; attempt++) {
        const from = position;
        try {
          const range = { ...req, offset: position, length: end - position };
          for await (const chunk of downloadSnapshot(client, range, { ...call, signal: ac.signal, onSnapshot: sameSnapshot, frames })) {
            position = await writeAt(fh, chunk, position);
            written += chunk.length;
            options.onProgress?.(written);
          }
          return;
        } catch (e) {
          const error = toVellumError(e);
          if (position > from) attempt = 1; // progress: the range's attempts start over
          const delayMs = resume && !ac.signal.aborted ? retryDelay(resume, error, attempt) : undefined;
          if (delayMs === undefined) throw error;
          resume!.onRetry?.({ method: "vellum.v1.SnapshotService/DownloadSnapshot", attempt, delayMs, error });
          await sleep(delayMs, ac.signal);
        }
      }
    };
    /**
     * Takes ranges in turn and writes each one's chunks at their place. Frames decode into one
     * buffer per lane: each message is written before the next is asked for. Their chunks' own
     * digests are checked only when the whole file's SHA-256 is not.
     */
    const lane = async () => {
      const frames = options.frames === false ? undefined : createFrameDecoder({ reuse: true, digests: !hasher });
      while (next < ranges && !ac.signal.aborted) {
        const index = next++;
        const position = index * options.rangeBytes;
        await fetchRange(position, Math.min(size, position + options.rangeBytes), frames);
        done[index] = true;
        while (done[prefix]) prefix++;
        hasher?.advance(Math.min(size, prefix * options.rangeBytes));
      }
    };
    let failure: { error: unknown } | undefined; // the first; the other lanes then fail as aborted
    await Promise.all(
      Array.from({ length: Math.min(options.parallel, ranges) }, () =>
        lane().catch((error: unknown) => {
          failure ??= { error };
          ac.abort(error); // the other lanes stop too; all have settled before the file closes
        }),
      ),
    );
    if (failure) throw failure.error;
    ac.signal.throwIfAborted(); // cancelled between two ranges: no lane failed, some never ran
    if (hasher) {
      const actual = await hasher.digest(size);
      if (actual !== snapshot.sha256) throw new IntegrityError("sha256", snapshot.sha256, actual);
    }
    await fh.sync();
  } finally {
    options.signal?.removeEventListener("abort", stop);
    ac.abort();
    await hasher?.close();
    await fh.close();
  }
  return snapshot;
}

/** Writes `bytes` at `position` (continuing after a short write); returns the end position. */
async function writeAt(fh: FileHandle, bytes: Uint8Array, position: number): Promise<number> {
  for (let at = 0; at < bytes.length; ) {
    const { bytesWritten } = await fh.write(bytes, at, bytes.length - at, position + at);
    if (bytesWritten <= 0) throw new Error(`write at ${position + at} wrote ${bytesWritten} bytes`);
    at += bytesWritten;
  }
  return position + bytes.length;
}
