import { createHash } from "node:crypto";
import { type FileHandle, open } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import type { Snapshot } from "../../../gen/vellum/v1/snapshot_pb.js";
import type { UploadService } from "../../../gen/vellum/v1/upload_service_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { UploadSnapshotHeaderSchema } from "../../../gen/vellum/v1/snapshot_service_pb.js";
import type { ChunkerOptions } from "../chunking/fastcdc.js";
import { type ChunkWindow, createChunkPool, inlineChunkWork } from "./chunk-pool.js";
import { createInterruptible } from "./interruptible.js";
import { createWindowCutter } from "./window-cutter.js";
import { createWindowSender, DEFAULT_STREAM_BYTES, MAX_WINDOWS_IN_FLIGHT } from "./window-sender.js";

export interface IncrementalUploadOptions {
  /** Chunker sizes; must match the server's chunking for chunks to dedup against server-side uploads. */
  chunking?: Partial<ChunkerOptions>;
  /** Bytes of chunks examined per FindMissingChunks round (bounded memory). Default 4 MiB (DEFAULT_WINDOW_BYTES). */
  windowBytes?: number;
  /**
   * zstd level for the chunks sent (each is sent compressed when that saves at least 5%); 0 sends
   * them raw. Default 1, the server's own default level (the server stores a client's frames as they are).
   */
  zstdLevel?: number;
  /**
   * Chunk payload bytes per UploadChunks stream; the server makes a stream's chunks durable when it
   * ends, so this bounds what a failed upload must resend. Default 64 MiB (DEFAULT_STREAM_BYTES).
   */
  streamBytes?: number;
  /**
   * Worker threads that hash and compress chunks; 0 does that on the calling thread. Default
   * defaultUploadWorkers(). Results are identical either way. Workers start with the upload and
   * are stopped before it settles.
   */
  workers?: number;
  signal?: AbortSignal;
  /** Extra request headers for every call, e.g. x-request-id. */
  headers?: HeadersInit;
  /** Called with the running total of source bytes read and chunked (sent or found on the server). */
  onProgress?: (bytesRead: number) => void;
}

export interface IncrementalUploadResult {
  snapshot: Snapshot;
  /** Content size. */
  size: number;
  chunksTotal: number;
  /** Chunks the server lacked, and therefore sent. */
  chunksSent: number;
  /** Chunk payload bytes sent (compressed where that saved). */
  bytesSent: number;
  /** Decoded size of the chunks sent. */
  chunkBytesSent: number;
  /** Request bytes of the protocol besides chunk payloads (digests asked about, the chunk list). */
  overheadBytes: number;
}

type HeaderInit = MessageInitShape<typeof UploadSnapshotHeaderSchema>;

/** Bytes read from a file per read (into the window being filled). */
const FILE_READ_BYTES = 4 * 1024 * 1024;

/** Default `windowBytes`. */
export const DEFAULT_WINDOW_BYTES = 4 * 1024 * 1024;

/**
 * Default `workers`: one thread per core beside the calling one, at least 1 and at most 4. The
 * reading thread keeps the sequential work (reading, boundary detection, the content hash).
 */
export const defaultUploadWorkers = (): number => Math.max(1, Math.min(4, availableParallelism() - 1));

/**
 * Uploads content through the client-side-dedup path: chunks locally with the server's FastCDC
 * algorithm, asks which chunk digests the store lacks, sends only those, then commits the ordered
 * chunk list with the whole content's SHA-256. A new version of a large, mostly unchanged file moves
 * only its changed chunks, zstd-compressed where that saves.
 *
 * Pipeline: the calling thread reads (a file straight into the window buffers), finds chunk
 * boundaries and hashes the whole content, cutting windows of about `windowBytes`; each window is
 * hashed (on a worker), looked up with FindMissingChunks (windows in order), its missing chunks
 * compressed (on a worker) and queued on an UploadChunks stream (a new one every `streamBytes`, so
 * a failure loses at most that much for a retry to resend), while later windows are read and
 * hashed. A chunk already queued is not sent again. Memory is bounded by MAX_WINDOWS_IN_FLIGHT + 1
 * windows (each `windowBytes` plus one maximum chunk) and their frames, plus the chunk list (about
 * 40 bytes/chunk, packed) and the digests sent (about 80 bytes each). Any failure (a
 * worker, the server, the source, `signal`) cancels the calls in flight, stops the workers and
 * rejects; an abort rejects with ConnectError Canceled.
 */
export async function uploadSnapshotIncremental(
  uploads: Client<typeof UploadService>,
  header: HeaderInit,
  source: AsyncIterable<Uint8Array> | string,
  opts: IncrementalUploadOptions = {},
): Promise<IncrementalUploadResult> {
  const level = opts.zstdLevel ?? 1;
  if (!Number.isInteger(level) || level < 0 || level > 19) throw new RangeError(`zstdLevel must be 0..19, got ${level}`);
  const workers = opts.workers ?? defaultUploadWorkers();
  if (!Number.isInteger(workers) || workers < 0) throw new RangeError(`workers must be a non-negative integer, got ${workers}`);
  const streamBytes = opts.streamBytes ?? DEFAULT_STREAM_BYTES;
  if (!(streamBytes > 0)) throw new RangeError(`streamBytes must be positive, got ${streamBytes}`);
  opts.signal?.throwIfAborted();
  const free: SharedArrayBuffer[] = []; // window buffers of finished windows, for the next ones
  const cutter = createWindowCutter(opts.chunking, opts.windowBytes ?? DEFAULT_WINDOW_BYTES, (n) => free.pop() ?? new SharedArrayBuffer(n));
  const recycle = (buf: SharedArrayBuffer) => void (free.length <= MAX_WINDOWS_IN_FLIGHT && free.push(buf));

  // The first failure wins: it aborts the calls in flight and every wait below rejects with it.
  const cancel = new AbortController();
  const scope = createInterruptible();
  const { guard } = scope;
  const fail = (err: unknown) => {
    if (scope.reason) return;
    scope.interrupt(err);
    cancel.abort(err);
  };
  const onAbort = () => fail(ConnectError.from(opts.signal!.reason, Code.Canceled));
  opts.signal?.addEventListener("abort", onAbort, { once: true });

  const work = workers === 0 ? inlineChunkWork() : createChunkPool(workers);
  const call = { signal: cancel.signal, headers: opts.headers };
  const sender = createWindowSender({ uploads, header, call, streamBytes, level, work, guard, fail, recycle });
  const whole = createHash("sha256");
  let size = 0;
  /** Counts bytes the cutter took and starts the windows they completed. */
  const took = async (bytes: number, windows: ChunkWindow[]) => {
    size += bytes;
    for (const w of windows) await sender.add(w);
    opts.onProgress?.(size);
  };
  let file: FileHandle | undefined;
  let it: AsyncIterator<Uint8Array | string> | undefined;
  let done = false;
  try {
    if (typeof source === "string") {
      // A file is read straight into the window buffers: no read buffers to copy and collect.
      file = await open(source, "r"); // not guarded: a handle opened after a failure would never be closed
      for (;;) {
        const space = cutter.writable();
        const into = space.subarray(0, Math.min(space.length, FILE_READ_BYTES));
        const { bytesRead } = await guard(file.read(into, 0, into.length, null));
        if (bytesRead === 0) break;
        whole.update(into.subarray(0, bytesRead)); // before wrote(): a completed window is handed off
        await took(bytesRead, cutter.wrote(bytesRead));
      }
    } else {
      it = (source as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
      for (;;) {
        const r = await guard(it.next());
        if (r.done) break;
        const bytes = typeof r.value === "string" ? Buffer.from(r.value) : r.value;
        whole.update(bytes);
        await took(bytes.length, cutter.push(bytes));
      }
    }
    done = true;
    for (const w of cutter.finish()) await sender.add(w);
    const { digests, sizes } = await sender.finish();
    const { snapshot } = await guard(
      uploads.commitSnapshot(
        { header: { ...header, expectedSha256: whole.digest("hex"), expectedSize: BigInt(size) }, chunkDigests: digests, chunkSizes: sizes },
        call,
      ),
    );
    return { snapshot: snapshot!, size, chunksTotal: sizes.length, ...sender.stats, overheadBytes: sender.stats.overheadBytes + digests.length + sizes.length * 3 };
  } catch (err) {
    fail(err);
    throw scope.reason!.err;
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
    if (!done) Promise.resolve(it?.return?.()).catch(() => undefined); // not awaited: a source may be stuck in next()
    await file?.close();
    await work.close();
    await sender.settled();
  }
}

