import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import type { Client } from "@connectrpc/connect";
import type { Snapshot } from "../../../gen/vellum/v1/snapshot_pb.js";
import { ChunkEncoding, type UploadService } from "../../../gen/vellum/v1/upload_service_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { UploadSnapshotHeaderSchema } from "../../../gen/vellum/v1/snapshot_service_pb.js";
import { createChunker, type ChunkerOptions } from "../chunking/fastcdc.js";
import { createZstdContexts, type ZstdContexts } from "./zstd-context.js";

export interface IncrementalUploadOptions {
  /** Chunker sizes; must match the server's chunking for chunks to dedup against server-side uploads. */
  chunking?: Partial<ChunkerOptions>;
  /** Bytes of chunks examined per FindMissingChunks round (bounded memory). Default 32 MiB. */
  windowBytes?: number;
  /**
   * zstd level for the chunks sent (each is sent compressed when that saves at least 5%); 0 sends
   * them raw. Default 1, the server's own default level (the server stores a client's frames as they are).
   */
  zstdLevel?: number;
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

/**
 * Uploads content through the client-side-dedup path: chunks locally with the server's FastCDC
 * algorithm, asks which chunk digests the store lacks, sends only those, then commits the ordered
 * chunk list with the whole content's SHA-256. A new version of a large, mostly unchanged file moves
 * only its changed chunks, zstd-compressed where that saves. One window is sent while the next is read.
 * Memory is bounded by two `windowBytes` plus the chunk list (40 bytes/chunk).
 */
export async function uploadSnapshotIncremental(
  uploads: Client<typeof UploadService>,
  header: HeaderInit,
  source: AsyncIterable<Uint8Array> | string,
  opts: IncrementalUploadOptions = {},
): Promise<IncrementalUploadResult> {
  const input = typeof source === "string" ? createReadStream(source, { highWaterMark: 1 << 20 }) : source;
  const chunker = createChunker(opts.chunking);
  const windowBytes = opts.windowBytes ?? 32 * 1024 * 1024;
  const whole = createHash("sha256");
  const refs: { digest: Uint8Array; size: bigint }[] = [];
  let window: { digest: Buffer; bytes: Uint8Array }[] = [];
  let windowSize = 0;
  let size = 0;
  let chunksSent = 0;
  let bytesSent = 0;
  let chunkBytesSent = 0;
  let overheadBytes = 0;
  const level = opts.zstdLevel ?? 1;
  if (!Number.isInteger(level) || level < 0 || level > 19) throw new RangeError(`zstdLevel must be 0..19, got ${level}`);
  const encrypted = header.encrypt ?? false;

  const storeId = header.storeId ?? "";
  const call = { signal: opts.signal, headers: opts.headers };
  /** Asks about one window's chunks and sends those the store lacks. */
  const send = async (window: { digest: Buffer; bytes: Uint8Array }[]) => {
    const unique = new Map<string, { digest: Buffer; bytes: Uint8Array }>();
    for (const c of window) unique.set(c.digest.toString("hex"), c);
    const digests = [...unique.values()].map((c) => c.digest);
    const missing = new Set<string>();
    for (let i = 0; i < digests.length; i += 10_000) {
      const batch = digests.slice(i, i + 10_000);
      overheadBytes += batch.length * 34;
      const res = await uploads.findMissingChunks({ storeId, digests: batch, encrypted }, call);
      for (const d of res.missingDigests) missing.add(Buffer.from(d).toString("hex"));
    }
    const toSend = [...unique.entries()].filter(([hex]) => missing.has(hex)).map(([, c]) => c.bytes);
    if (toSend.length) {
      await uploads.uploadChunks(
        (async function* () {
          yield { storeId, encrypted };
          for (const bytes of toSend) {
            const m = encodeForWire(bytes, level);
            bytesSent += m.chunk.length;
            yield m;
          }
        })(),
        call,
      );
      chunksSent += toSend.length;
      chunkBytesSent += toSend.reduce((n, b) => n + b.length, 0);
    }
  };
  // One window is sent while the next is read and chunked, so the disk, the CPU and the network
  // overlap; memory stays within two windows.
  let sending: Promise<void> = Promise.resolve();
  const flush = async () => {
    await sending;
    if (!window.length) return;
    const full = window;
    window = [];
    windowSize = 0;
    sending = send(full);
    sending.catch(() => undefined); // observed by the next flush or the final await
  };

  const take = async (chunks: Uint8Array[]) => {
    for (const c of chunks) {
      const bytes = new Uint8Array(c); // the chunker may return views of a reused source buffer
      const digest = createHash("sha256").update(bytes).digest();
      refs.push({ digest, size: BigInt(bytes.length) });
      window.push({ digest, bytes });
      windowSize += bytes.length;
    }
    if (windowSize >= windowBytes) await flush();
  };

  for await (const piece of input as AsyncIterable<Uint8Array>) {
    const bytes = typeof piece === "string" ? Buffer.from(piece) : piece;
    whole.update(bytes);
    size += bytes.length;
    await take(chunker.push(bytes));
    opts.onProgress?.(size);
  }
  await take(chunker.finish());
  await flush();
  await sending;
  overheadBytes += refs.length * 40;
  const { snapshot } = await uploads.commitSnapshot(
    { header: { ...header, expectedSha256: whole.digest("hex"), expectedSize: BigInt(size) }, chunks: refs },
    call,
  );
  return { snapshot: snapshot!, size, chunksTotal: refs.length, chunksSent, bytesSent, chunkBytesSent, overheadBytes };
}

/** This thread's zstd contexts (zstd-context.ts), made on first use; undefined when this Node has no zstd. */
let contexts: ZstdContexts | undefined | null = null;

/** One complete zstd frame of `bytes` at `level`, or undefined when this Node has no zstd (chunks go raw). */
function zstdFrame(bytes: Uint8Array, level: number): Uint8Array | undefined {
  if (contexts === null) contexts = createZstdContexts();
  return contexts?.compress(bytes, level);
}

/** An UploadChunks message for `bytes`: one zstd frame when zstd is available and that saves at least 5%, else raw. */
function encodeForWire(bytes: Uint8Array, level: number) {
  const frame = level > 0 ? zstdFrame(bytes, level) : undefined;
  if (frame && frame.length <= bytes.length * 0.95) return { chunk: frame, encoding: ChunkEncoding.ZSTD, size: BigInt(bytes.length) };
  return { chunk: bytes };
}
