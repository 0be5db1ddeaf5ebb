import { digestOf, type Sha256 } from "../../domain/digest.js";
import { failedPrecondition, invalidField } from "../../domain/errors.js";
import type { IngestResult } from "../../domain/ports.js";
import { type ChunkUploadStore, MAX_UPLOADED_CHUNK_BYTES, type UploadedChunk } from "../../domain/uploads/types.js";
import { addChunkRecord } from "../engine/chunk-record.js";
import { MIN_SAVING_RATIO, type EncodedChunk } from "../engine/codec.js";
import { createManifest, type ManifestEntry } from "../engine/manifest.js";
import { createZstdContexts } from "../../../../sdk/src/node/zstd-context.js";
import { LARGE_COMMIT_CHUNKS, collectBetweenPhases, collectDuringCommitLookups } from "../../lib/memory.js";
import type { ChunkedContentStore } from "./chunked-store.js";
import type { IngestLease } from "./ingest-leases.js";
import { createPgChunkIndex } from "./pg-chunk-index.js";
import type { ChunkedStoreDeps } from "./chunked-store.js";

/** A batch is looked up once it holds this many chunks or this many bytes (bounded memory). */
const DEDUP_BATCH = 256;
const DEDUP_BATCH_BYTES = 16 * 1024 * 1024;

/** Client frames may not ask for a window above 8 MiB (the decoder's memory for one frame). */
const CLIENT_ZSTD_WINDOW_LOG_MAX = 23;

/**
 * The decoder of client frames (zstd-context.ts), with the client window limit; undefined only on
 * a Node without zstd, where no frame decodes. The context is not re-entrant: received() uses it
 * synchronously and each thread has its own module.
 */
const clientFrames = createZstdContexts({ windowLogMax: CLIENT_ZSTD_WINDOW_LOG_MAX });

/**
 * Frames of up to this many decoded bytes are decoded into `scratch` (reused; a plaintext that is
 * kept is copied out of it), larger ones into a buffer of their own: a chunk the server keeps as
 * the client's frame then costs no plaintext allocation, and the scratch stays small.
 */
const SCRATCH_MAX = 1024 * 1024;
let scratch = new Uint8Array(0);

/**
 * The plaintext of a client's frame, of exactly `plainSize` bytes, or undefined when `frame` is not
 * exactly one complete frame of that size within the window limit. The result may be a view of
 * `scratch`, valid until the next call.
 */
function decodeClientFrame(frame: Uint8Array, plainSize: number): Uint8Array | undefined {
  if (clientFrames === undefined) return undefined;
  try {
    // decompress() takes exactly one complete frame (as the server's reader requires of every
    // stored zstd record), writes at most plainSize + 1 bytes (the spare one detects a longer
    // frame) and throws unless exactly plainSize came out; a context that failed is never reused.
    if (plainSize >= SCRATCH_MAX) return clientFrames.decompress(frame, plainSize);
    if (scratch.length <= plainSize) scratch = new Uint8Array(Math.min(SCRATCH_MAX, Math.max(plainSize + 1, 256 * 1024)));
    return clientFrames.decompress(frame, plainSize, scratch);
  } catch {
    return undefined;
  }
}

/**
 * A received chunk: its digest (of the plaintext, which the server computes itself) and how to
 * store it. A client's zstd frame is decoded strictly: one complete frame, output capped at the
 * declared size (a frame that would produce more fails) and a bounded window, so a small message
 * cannot make the server allocate more than the 8 MiB a chunk may have. When the frame saves what
 * the server's own compression would have to, it is stored as it is and the plaintext dropped.
 */
function received(c: UploadedChunk): Received {
  if (c.zstdSize === undefined) return { digest: digestOf(c.bytes), plainSize: c.bytes.length, plain: c.bytes };
  const plain = decodeClientFrame(c.bytes, c.zstdSize);
  if (plain === undefined) throw invalidField(c.field ?? "chunk", `is not one complete zstd frame of ${c.zstdSize} bytes`);
  const digest = digestOf(plain);
  const saves = c.bytes.length <= plain.length * (1 - MIN_SAVING_RATIO);
  if (saves) return { digest, plainSize: plain.length, encoded: { codec: "zstd", data: c.bytes } };
  return { digest, plainSize: plain.length, plain: plain.buffer === scratch.buffer ? plain.slice() : plain };
}

/** A received chunk, as addChunkRecord takes it. */
type Received = { digest: Sha256; plainSize: number; plain?: Uint8Array; encoded?: EncodedChunk };

/** `r` with a copy of whichever buffer is the message's bytes (a batch outlives the message). */
function kept(r: Received, c: UploadedChunk): Received {
  if (r.encoded?.data === c.bytes) return { ...r, encoded: { ...r.encoded, data: new Uint8Array(c.bytes) } };
  return r.plain === c.bytes ? { ...r, plain: new Uint8Array(c.bytes) } : r;
}

/**
 * The content-addressed upload path (Bazel-CAS style): clients ask which chunk digests are missing,
 * send only those (raw or zstd-compressed), then commit an ordered chunk list. The server hashes
 * every received chunk's plaintext itself, and re-reads every chunk of a committed list (verifying
 * it) to compute the content hash.
 */
export function createChunkUploads(deps: ChunkedStoreDeps, content: ChunkedContentStore): ChunkUploadStore {
  return {
    findMissing(storeId: string, digests: Sha256[], encrypted: boolean): Promise<Sha256[]> {
      return createPgChunkIndex(deps.db, { encrypted }).findMissing(storeId, digests);
    },

    /**
     * Stores each received chunk once; durable and indexed when this resolves. The stream holds an
     * ingest lease; afterwards the chunks are protected by reclaim's grace period from their
     * `last_seen` (FindMissingChunks refreshes it) until a commit references them.
     */
    storeChunks(storeId: string, encrypted: boolean, chunks: AsyncIterable<UploadedChunk>, signal?: AbortSignal) {
      return deps.leases.hold(storeId, (lease) => storeUnderLease(lease, encrypted, chunks, signal));
    },

    /**
     * Builds content from an ordered chunk list the store already holds: every chunk must be
     * present (as an encrypted copy when `encrypted`) with the stated size; every chunk is read
     * back and verified while the content hash is computed. Under an ingest lease, the lookup also
     * touches every chunk, so reclaim cannot remove one between the lookup and the commit.
     */
    assemble(storeId: string, entries: ManifestEntry[], encrypted: boolean, expected: { sha256?: string; size?: number }, signal?: AbortSignal): Promise<IngestResult> {
      return deps.leases.hold(storeId, async (lease) => {
        const index = createPgChunkIndex(deps.db, { encrypted });
        const missing: string[] = [];
        const large = entries.length >= LARGE_COMMIT_CHUNKS;
        for (let i = 0; i < entries.length; i += 5000) {
          const slice = entries.slice(i, i + 5000);
          const found = await index.lookupAndTouch(storeId, slice.map((e) => e.digest));
          if (large) collectDuringCommitLookups(slice.length);
          for (const e of slice) {
            const loc = found.get(e.digest.toHex());
            if (!loc) missing.push(e.digest.toHex()); // an encrypted index finds encrypted records only
            else if (loc.plainSize !== e.size) throw invalidField("chunks", `chunk ${e.digest.toHex()} has size ${loc.plainSize}, not ${e.size}`);
          }
        }
        if (missing.length) {
          throw failedPrecondition(
            `${missing.length} chunk(s) are missing, e.g. ${missing.slice(0, 3).join(", ")}; upload them with UploadChunks first`,
            "CHUNKS_MISSING",
          );
        }
        if (large) collectBetweenPhases();
        return content.saveVerified(lease, createManifest(entries), encrypted, expected, { signal });
      });
    },
  };

  /** UploadChunks under a held lease: batches are looked up (touching what exists) and new chunks packed. */
  async function storeUnderLease(lease: IngestLease, encrypted: boolean, chunks: AsyncIterable<UploadedChunk>, signal?: AbortSignal) {
    const admitted = await content.admitIngest(DEDUP_BATCH_BYTES + MAX_UPLOADED_CHUNK_BYTES, signal);
    try {
      return await storeAdmitted(lease, encrypted, chunks, signal);
    } finally {
      admitted.release();
    }
  }

  /** storeUnderLease once the buffer budget holds a batch, the largest chunk and a pack. */
  async function storeAdmitted(lease: IngestLease, encrypted: boolean, chunks: AsyncIterable<UploadedChunk>, signal?: AbortSignal) {
    const { storeId } = lease;
    const index = createPgChunkIndex(deps.db, { encrypted });
    const dataKey = encrypted ? await deps.keys.getOrCreate(storeId) : undefined;
    const packWriter = content.indexingPackWriter(lease, signal);
    let count = 0;
    let stored = 0;
    let bytes = 0;
    let batch: Received[] = [];
    let batchBytes = 0;
    const seen = new Set<string>(); // Sha256.key() of every chunk batched so far: a repeat is dropped
    const flush = async () => {
      const missing = new Set((await index.findMissing(storeId, batch.map((b) => b.digest))).map((d) => d.key()));
      for (const b of batch) {
        if (!missing.has(b.digest.key())) continue;
        bytes += await addChunkRecord(packWriter, b, { storeId, dataKey, encode: { compress: true } });
        stored++;
      }
      batch = [];
      batchBytes = 0;
    };
    try {
      for await (const chunk of chunks) {
        if (chunk.bytes.length > MAX_UPLOADED_CHUNK_BYTES) throw invalidField(chunk.field ?? "chunk", `must be at most ${MAX_UPLOADED_CHUNK_BYTES} bytes`);
        const r = received(chunk);
        count++;
        const key = r.digest.key();
        if (seen.has(key)) continue; // a repeat: nothing to keep
        seen.add(key);
        batch.push(kept(r, chunk));
        batchBytes += (r.plain ?? r.encoded!.data).length;
        if (batch.length >= DEDUP_BATCH || batchBytes >= DEDUP_BATCH_BYTES) await flush();
      }
      await flush();
      await packWriter.finish(); // every pack is indexed once durable
    } catch (err) {
      await packWriter.abort();
      throw err;
    }
    return { received: count, stored, bytes };
  }
}

