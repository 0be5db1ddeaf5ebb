/**
 * Streams content into packs: chunk (FastCDC), hash every chunk and the whole content, skip chunks
 * the store already has (index) or that this ingest already wrote, encode and encrypt the new ones,
 * and write them into packs. Resolves once every pack it wrote is durable; the caller inserts
 * `newLocations` into the chunk index in the transaction that commits the snapshot.
 *
 * Memory is bounded: the chunker carry (maxSize), one dedup batch (`batchBytes`) and the pack
 * writer's two pack buffers (one filling, one being written while chunking continues). Only the manifest and the set of digests seen
 * grow with the content (about 100 bytes per unique chunk).
 * On failure or abort, packs written so far are deleted (best effort) and the error rethrown.
 */
import { type ChunkerOptions, createChunker } from "../../../../sdk/src/chunking/fastcdc.js";
import { type Sha256, createHasher, digestOf } from "../../domain/digest.js";
import type { ChunkIndex } from "./chunk-index.js";
import { CHUNK_ENCRYPTION_ALGORITHM, type EncryptionMetadata, encryptChunk } from "./chunk-crypto.js";
import { DEFAULT_ZSTD_LEVEL, encodeChunk } from "./codec.js";
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
   * When set, new chunks are encrypted with the store's data key; `kmsKeyId` (the KMS key that
   * wraps it) is echoed in the result's encryption metadata for the snapshot row.
   */
  encryption?: { dataKey: Uint8Array; kmsKeyId: string };
  /** Compress new chunks with zstd (kept only when it saves >= 5%); default true. */
  compress?: boolean;
  zstdLevel?: number;
  /** Whole-content hasher; default SHA-256. */
  hasher?: { update(data: Uint8Array): void; digest(): Sha256 };
  /**
   * False when the source never writes to a buffer after yielding it (gRPC messages, request
   * bodies): pending chunks then stay views of the source's buffers instead of copies. Default true.
   */
  copyInput?: boolean;
  /** Chunks are checked against the index in batches of about this many bytes; default 8 MiB. */
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
  /** Locations of the chunks written, all durable: insert them into the index on commit. */
  newLocations: ChunkLocation[];
  packs: Omit<FlushedPack, "locations">[];
  /** Present when the content was ingested encrypted: what the snapshot records. */
  encryption?: EncryptionMetadata;
}

interface Pending {
  digest: Sha256;
  key: string; // Sha256.key()
  data: Uint8Array;
}

export async function ingestStream(source: AsyncIterable<Uint8Array>, o: IngestOptions): Promise<IngestResult> {
  const chunker = createChunker(o.chunking);
  const hasher = o.hasher ?? createHasher();
  const batchLimit = o.batchBytes ?? 8 * 1024 * 1024;
  const copyInput = o.copyInput ?? true;
  const encode = { compress: o.compress ?? true, level: o.zstdLevel ?? DEFAULT_ZSTD_LEVEL };
  const known = new Set<string>(); // Sha256.key() of chunks in the index or written by this ingest
  const entries: ManifestEntry[] = [];
  let batch: Pending[] = [];
  let batchKeys = new Set<string>();
  let batchSize = 0;
  let size = 0;
  let storedBytesNew = 0;
  let chunksNew = 0;

  const addChunk = (chunk: Uint8Array) => {
    const digest = digestOf(chunk);
    const key = digest.key();
    entries.push({ digest, size: chunk.length });
    if (known.has(key) || batchKeys.has(key)) return;
    // A copy unless the source promised not to reuse its buffers (chunks may be views of them).
    batch.push({ digest, key, data: copyInput ? new Uint8Array(chunk) : chunk });
    batchKeys.add(key);
    batchSize += chunk.length;
  };

  const flushBatch = async () => {
    if (batch.length === 0) return;
    const items = batch;
    batch = [];
    batchKeys = new Set();
    batchSize = 0;
    const missing = new Set((await o.index.findMissing(o.storeId, items.map((p) => p.digest))).map((d) => d.key()));
    for (const p of items) known.add(p.key);
    for (const p of items) {
      if (!missing.has(p.key)) continue;
      o.signal?.throwIfAborted();
      const e = encodeChunk(p.data, encode);
      const data = o.encryption
        ? encryptChunk(o.encryption.dataKey, e.data, { storeId: o.storeId, digest: p.digest, codec: e.codec })
        : e.data;
      await o.packWriter.add({
        digest: p.digest,
        codec: e.codec,
        encrypted: o.encryption !== undefined,
        plainSize: p.data.length,
        data,
      });
      storedBytesNew += data.length;
      chunksNew++;
    }
  };

  try {
    for await (const bytes of source) {
      o.signal?.throwIfAborted();
      hasher.update(bytes);
      size += bytes.length;
      for (const chunk of chunker.push(bytes)) addChunk(chunk);
      if (batchSize >= batchLimit) await flushBatch();
    }
    for (const chunk of chunker.finish()) addChunk(chunk);
    await flushBatch();
    o.signal?.throwIfAborted();
    const packs = await o.packWriter.finish();
    return {
      manifest: createManifest(entries),
      size,
      sha256: hasher.digest(),
      storedBytesNew,
      chunksNew,
      chunksTotal: entries.length,
      newLocations: packs.flatMap((p) => p.locations),
      packs: packs.map(({ packId, key, size: s }) => ({ packId, key, size: s })),
      encryption: o.encryption && { algorithm: CHUNK_ENCRYPTION_ALGORITHM, keyId: o.encryption.kmsKeyId },
    };
  } catch (e) {
    await o.packWriter.abort();
    throw e;
  }
}
