/**
 * Streams content into packs: the scanner chunks (FastCDC) and hashes every chunk and the whole
 * content; chunks the store already has (index) or that this ingest already wrote are skipped; the
 * new ones are encoded, encrypted and written into packs. Resolves once every pack it wrote is
 * durable. The caller indexes the new chunks before it saves a manifest that uses them: from
 * `newLocations`, or pack by pack through the pack writer's `onDurable` (then `newLocations`
 * holds none).
 *
 * Memory is bounded: what the scanner holds (see its implementation), two dedup batches
 * (`batchBytes`: one being written, one being gathered) and the pack writer's two packs (one
 * filling, one finishing). Only the manifest and the set of digests seen grow with the content
 * (about 100 bytes per unique chunk). On failure or abort, packs written so far and not handed to
 * the pack writer's onDurable are deleted (best effort) and the error rethrown.
 */
import type { ChunkerOptions } from "../../../../sdk/src/chunking/fastcdc.js";
import type { Sha256 } from "../../domain/digest.js";
import type { ChunkIndex } from "./chunk-index.js";
import { CHUNK_ENCRYPTION_ALGORITHM, type EncryptionMetadata } from "./chunk-crypto.js";
import { addChunkRecord } from "./chunk-record.js";
import { dataKeyId } from "./kms.js";
import { DEFAULT_ZSTD_LEVEL } from "./codec.js";
import { type ChunkScanner, type ContentScan, type ScannedChunk, inlineScanner } from "./content-scan.js";
import { type Manifest, type ManifestEntry, createManifest } from "./manifest.js";
import type { FlushedPack, PackWriter } from "./pack-writer.js";
import type { ChunkLocation } from "./types.js";

export interface IngestOptions {
  storeId: string;
  index: ChunkIndex;
  /** Used by this ingest only: it adds the new chunks, then finishes (or aborts) it. */
  packWriter: PackWriter;
  /** Chunker options; defaults DEFAULT_CHUNKER_OPTIONS. Must match the SDK's for client-side dedup. */
  chunking?: Partial<ChunkerOptions>;
  /**
   * When set, new chunks are encrypted with the store's data key; its id (kms.ts dataKeyId) is
   * echoed in the result's encryption metadata for the snapshot row.
   */
  encryption?: { dataKey: Uint8Array };
  /** Compress new chunks with zstd (kept only when it saves >= 5%); default true. */
  compress?: boolean;
  zstdLevel?: number;
  /** Chunks and hashes the source; default `inlineScanner` (on this thread). */
  scanner?: ChunkScanner;
  /**
   * False when the source never writes to a buffer after yielding it (gRPC messages, request
   * bodies): pending chunks then stay views of the source's buffers instead of copies. Default true.
   */
  copyInput?: boolean;
  /**
   * Chunks are checked against the index in batches covering about this many bytes; default 2 MiB.
   * One batch is written while the next is gathered.
   */
  batchBytes?: number;
  signal?: AbortSignal;
}

export interface IngestResult {
  manifest: Manifest;
  size: number;
  sha256: Sha256;
  /** Stored (encoded, encrypted) bytes of the chunks this ingest wrote. */
  storedBytesNew: number;
  chunksNew: number;
  chunksTotal: number;
  /** Locations of the chunks written, all durable, except those handed to the pack writer's onDurable. */
  newLocations: ChunkLocation[];
  packs: Omit<FlushedPack, "locations">[];
  /** Present when the content was ingested encrypted: what the snapshot records. */
  encryption?: EncryptionMetadata;
}

/**
 * Buffer bytes an ingest holds besides its packs, for the buffer budget: the scanner's window and
 * the pieces its consumer has not released (content-workers.ts: 4 MiB ahead, two dedup batches of
 * 2 MiB behind, a few recycled pieces).
 */
export const INGEST_SCAN_BYTES = 10 * 1024 * 1024;

interface Pending {
  digest: Sha256;
  key: string; // Sha256.key()
  data: Uint8Array;
}

export async function ingestStream(source: AsyncIterable<Uint8Array>, o: IngestOptions): Promise<IngestResult> {
  const batchLimit = o.batchBytes ?? 2 * 1024 * 1024;
  const copyInput = o.copyInput ?? true;
  const encode = { compress: o.compress ?? true, level: o.zstdLevel ?? DEFAULT_ZSTD_LEVEL };
  // Sha256.key() of chunks in the index, written by this ingest or waiting in a batch: a later
  // chunk dedups against a batch at once.
  const known = new Set<string>();
  const entries: ManifestEntry[] = [];
  let batch: Pending[] = []; // chunks gathered since the last flush that may be new
  let storedBytesNew = 0;
  let chunksNew = 0;

  const addChunk = ({ data, digest }: ScannedChunk) => {
    const key = digest.key();
    entries.push({ digest, size: data.length });
    if (known.has(key)) return;
    batch.push({ digest, key, data });
    known.add(key);
  };

  /** Awaits the batch's index lookup, writes its new chunks, then calls `release`. */
  const writeBatch = async (items: Pending[], lookup: Promise<Sha256[]>, release: () => void) => {
    const missing = new Set((await lookup).map((d) => d.key()));
    for (const p of items) {
      if (!missing.has(p.key)) continue;
      o.signal?.throwIfAborted();
      storedBytesNew += await addChunkRecord(
        o.packWriter,
        { digest: p.digest, plainSize: p.data.length, plain: p.data },
        { storeId: o.storeId, dataKey: o.encryption?.dataKey, encode },
      );
      chunksNew++;
    }
    release();
  };

  // Batches are written one after another on `writing`, while the next batch is being gathered:
  // the index lookup (a database round trip) and the writes overlap with receiving and scanning.
  // At most two batches are pending: the one being written and the one being gathered.
  let writing: Promise<void> = Promise.resolve();
  const flushBatch = async (scan: ContentScan, end: number) => {
    await writing;
    const items = batch;
    batch = [];
    const lookup = items.length ? o.index.findMissing(o.storeId, items.map((p) => p.digest)) : Promise.resolve([]);
    writing = writeBatch(items, lookup, () => scan.release(end));
    writing.catch(() => undefined); // observed by the next flush or at the end
  };

  try {
    const scan = (o.scanner ?? inlineScanner)(source, { chunking: o.chunking, copyInput });
    let at = 0; // content offset just past the last chunk yielded
    let flushedAt = 0;
    for await (const chunks of scan.batches) {
      o.signal?.throwIfAborted();
      for (const chunk of chunks) {
        addChunk(chunk);
        at += chunk.data.length;
      }
      if (at - flushedAt >= batchLimit) {
        await flushBatch(scan, at);
        flushedAt = at;
      }
    }
    await flushBatch(scan, at);
    await writing;
    const { size, sha256 } = scan.result();
    o.signal?.throwIfAborted();
    const packs = await o.packWriter.finish();
    return {
      manifest: createManifest(entries),
      size,
      sha256,
      storedBytesNew,
      chunksNew,
      chunksTotal: entries.length,
      newLocations: packs.flatMap((p) => p.locations),
      packs: packs.map(({ packId, key, size: s }) => ({ packId, key, size: s })),
      encryption: o.encryption && { algorithm: CHUNK_ENCRYPTION_ALGORITHM, keyId: dataKeyId(o.encryption.dataKey) },
    };
  } catch (e) {
    await writing.catch(() => undefined); // no add may run while the writer aborts
    await o.packWriter.abort();
    throw e;
  }
}
