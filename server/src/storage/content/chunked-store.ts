import { createHasher, parseDigest, type Sha256 } from "../../domain/digest.js";
import { dataLoss, invalidField } from "../../domain/errors.js";
import type { ContentPiece, ContentStore, IngestResult } from "../../domain/ports.js";
import type { BlobStore } from "../blob/blob-store.js";
import type { Db } from "../db/client.js";
import { packs as packsTable } from "../db/schema/index.js";
import type { ChunkScanner } from "../engine/content-scan.js";
import { createChunkReader, type GroupOpener } from "../engine/chunk-reader.js";
import { CHUNK_ENCRYPTION_ALGORITHM } from "../engine/chunk-crypto.js";
import { dataKeyId } from "../engine/kms.js";
import { readContentFrames, readContentRange, verifyContent } from "../engine/content-reader.js";
import { isChunkFrame } from "../engine/chunk-reader.js";
import { INGEST_SCAN_BYTES, ingestStream, type IngestResult as EngineIngest } from "../engine/ingest.js";
import type { Manifest } from "../engine/manifest.js";
import { DEFAULT_PACK_TARGET_BYTES, type FlushedPack, createPackWriter } from "../engine/pack-writer.js";
import type { ChunkerOptions } from "../../../../sdk/src/chunking/fastcdc.js";
import { type BufferBudget, createBufferBudget } from "../../lib/buffer-budget.js";
import { LARGE_COMMIT_CHUNKS, LARGE_INGEST_BYTES, collectBetweenPhases, collectDuringCommitReadBack } from "../../lib/memory.js";
import type { IngestLease, IngestLeases } from "./ingest-leases.js";
import type { ManifestRepo } from "./manifest-repo.js";
import { ingestMany, type BatchIngestItem } from "./batch-ingest.js";
import { INLINE_MAX_BYTES, stageInline } from "./inline-ingest.js";
import { dropUnindexedPacks } from "./pack-rows.js";
import { createPgChunkIndex } from "./pg-chunk-index.js";
import type { StoreKeys } from "./store-keys.js";

export interface ChunkedStoreDeps {
  db: Db;
  blobs: BlobStore;
  keys: StoreKeys;
  manifests: ManifestRepo;
  /** Held by every operation that writes or reuses chunks, until what references them is saved. */
  leases: IngestLeases;
  newId: () => string;
  chunking?: Partial<ChunkerOptions>;
  packTargetBytes?: number;
  /** Chunks and hashes ingested content; default on the event loop (inlineScanner). */
  scanner?: ChunkScanner;
  /** Opens (decrypts, decodes, verifies) fetched chunks for downloads; default on the event loop. */
  openGroup?: GroupOpener;
  /** Chunk reads in flight per download. */
  readConcurrency?: number;
  /**
   * The process-wide budget for ingest and read buffers: an ingest waits for its share before it
   * reads its source, and reads count their read-ahead. Default: unlimited.
   */
  budget?: BufferBudget;
}

/**
 * The chunk engine behind the ContentStore port: content-defined chunks, deduplicated per store
 * through the Postgres chunk index, compressed and (optionally) encrypted per chunk, grouped into
 * pack objects. A content ref is a manifest id. Packs are durable before their chunks are indexed,
 * and chunks are indexed before a manifest that uses them is saved, so every saved manifest is
 * readable. Each ingest holds an ingest lease until its manifest is saved, so reclaim cannot remove
 * its chunks however long it runs (ingest-leases.ts).
 */
export function createChunkedContentStore(deps: ChunkedStoreDeps) {
  const { db, blobs, keys, manifests } = deps;
  const budget = deps.budget ?? createBufferBudget(Number.MAX_SAFE_INTEGER);
  const packTarget = deps.packTargetBytes ?? DEFAULT_PACK_TARGET_BYTES;

  /**
   * Waits until the budget holds an ingest's buffers: `ownBytes` (what it gathers besides packs)
   * plus one pack; a second pack is the pack writer's to ask for. Until then the ingest reads
   * nothing, so its client waits on flow control. `signal` cancels the wait.
   */
  const admitIngest = (ownBytes: number, signal?: AbortSignal) => budget.acquire(ownBytes + packTarget, signal);

  /** Content deps for reading a store's chunks; `onWorkers: false` opens them on the event loop. */
  async function readerFor(storeId: string, opts: { onWorkers?: boolean } = {}) {
    const dataKey = await keys.find(storeId);
    const openGroup = opts.onWorkers === false ? undefined : deps.openGroup;
    const reader = createChunkReader({ blobStore: blobs, storeId, dataKey, openGroup, budget });
    return { storeId, index: createPgChunkIndex(db, { encrypted: false }), reader };
  }

  /**
   * A pack writer that indexes each pack's chunks as soon as the pack is durable, checking in the
   * same transaction that `lease` is still held (a writer whose lease lapsed may find its pack
   * object swept as an orphan, so it must not index it).
   */
  function indexingPackWriter(lease: IngestLease, signal?: AbortSignal) {
    const { storeId } = lease;
    return createPackWriter({
      blobStore: blobs,
      storeId,
      targetBytes: packTarget,
      signal,
      budget,
      onDurable: async (p) => {
        try {
          await indexPack(lease, p);
        } catch (err) {
          await dropUnindexedPacks(db, blobs, storeId, [p]).catch(() => undefined); // else an orphan object
          throw err;
        }
      },
    });
  }

  /**
   * Chunks, packs and indexes a stream; packs are durable and indexed when this resolves. Each pack
   * is indexed as soon as it is durable (so no location is held to the end); a failed ingest leaves
   * those chunks unreferenced, and reclaim removes them after its grace period. The source is not
   * read before the buffer budget admits the ingest; `admission` (default `signal`) cancels that
   * wait, `signal` the whole ingest.
   */
  async function ingestChunks(
    lease: IngestLease,
    source: AsyncIterable<Uint8Array>,
    opts: { encrypt: boolean; signal?: AbortSignal; admission?: AbortSignal },
  ): Promise<EngineIngest> {
    const { storeId } = lease;
    const index = createPgChunkIndex(db, { encrypted: opts.encrypt });
    const encryption = opts.encrypt ? { dataKey: await keys.getOrCreate(storeId) } : undefined;
    const admitted = await admitIngest(INGEST_SCAN_BYTES, opts.admission ?? opts.signal);
    let r: EngineIngest;
    try {
      const packWriter = indexingPackWriter(lease, opts.signal);
      // copyInput false: the ContentStore contract forbids sources to reuse yielded buffers.
      r = await ingestStream(source, { storeId, index, packWriter, chunking: deps.chunking, scanner: deps.scanner, encryption, copyInput: false, signal: opts.signal });
    } finally {
      admitted.release();
    }
    if (r.size >= LARGE_INGEST_BYTES) collectBetweenPhases();
    return r;
  }

  /** Records a durable pack and indexes its chunks, all or nothing, while `lease` is held. */
  async function indexPack(lease: IngestLease, p: FlushedPack): Promise<void> {
    const { storeId } = lease;
    await db.transaction(async (tx) => {
      await lease.fence(tx);
      await tx.insert(packsTable).values({ storeId, packId: p.packId, blobKey: p.key, size: p.size }).onConflictDoNothing();
      await createPgChunkIndex(tx, { encrypted: false }).insert(storeId, p.locations);
    });
  }

  /** Saves a manifest (checking `lease` is still held) and returns the ContentStore ingest result for it. */
  async function saveContent(lease: IngestLease, manifest: Manifest, sha256: Sha256, storedBytes: number, encrypted: boolean): Promise<IngestResult> {
    const id = deps.newId();
    const keyId = encrypted ? dataKeyId(await keys.getOrCreate(lease.storeId)) : undefined;
    await manifests.save(id, lease.storeId, manifest, sha256.toHex(), encrypted, lease.fence);
    return {
      contentRef: id,
      sha256: sha256.toHex(),
      size: manifest.size,
      storedSize: storedBytes,
      encryption: keyId !== undefined ? { algorithm: CHUNK_ENCRYPTION_ALGORITHM, keyId } : undefined,
    };
  }

  function checkExpected(size: number, sha256: Sha256, expected?: { sha256?: string; size?: number }): void {
    if (expected?.size !== undefined && expected.size !== size) {
      throw invalidField("header.expected_size", `content was ${size} bytes, expected ${expected.size}`);
    }
    if (expected?.sha256 && expected.sha256 !== sha256.toHex()) throw dataLoss("content does not match expected_sha256");
  }

  /**
   * Commits content assembled from already-indexed chunks (resumed sessions, client chunk lists):
   * unless its hash is already known from streaming, every chunk is read back and verified while the
   * whole-content SHA-256 is computed; then the expectations are checked and the manifest saved.
   */
  async function saveVerified(
    lease: IngestLease,
    manifest: Manifest,
    encrypted: boolean,
    expected: { sha256?: string; size?: number },
    opts: { knownSha256?: Sha256; signal?: AbortSignal } = {},
  ): Promise<IngestResult> {
    let sha = opts.knownSha256;
    if (!sha) {
      const hasher = createHasher();
      // On the event loop, not the content workers: the buffers a worker drops wait for its own GC,
      // and the two threads' garbage added up: a 2 GiB incremental SDK upload peaked at 357 MiB of
      // RSS with the workers and 269-276 MiB without, at 43 and 41 MB/s end to end.
      const reader = await readerFor(lease.storeId, { onWorkers: false });
      const large = manifest.entries.length >= LARGE_COMMIT_CHUNKS;
      for await (const piece of readContentRange(reader, manifest, 0, manifest.size, { signal: opts.signal })) {
        hasher.update(piece);
        if (large) collectDuringCommitReadBack(piece.length);
      }
      sha = hasher.digest();
    }
    checkExpected(manifest.size, sha, expected);
    return saveContent(lease, manifest, sha, 0, encrypted);
  }

  const store: ContentStore = {
    inlineMaxBytes: INLINE_MAX_BYTES,
    stageInline: (storeId, bytes, opts) => stageInline({ ...deps, budget }, storeId, bytes, opts),

    ingest(storeId, source, opts) {
      return deps.leases.hold(storeId, async (lease) => {
        const r = await ingestChunks(lease, source, opts);
        checkExpected(r.size, r.sha256, opts.expected);
        return saveContent(lease, r.manifest, r.sha256, r.storedBytesNew, opts.encrypt);
      });
    },

    async *read(snapshot, range, signal) {
      const manifest = await manifests.load(snapshot.storeId, snapshot.contentRef);
      yield* readContentRange(await readerFor(snapshot.storeId), manifest, range.offset, range.length, {
        signal,
        concurrency: deps.readConcurrency ?? 4,
      });
    },

    async *readFrames(snapshot, range, signal): AsyncGenerator<ContentPiece> {
      const manifest = await manifests.load(snapshot.storeId, snapshot.contentRef);
      const reader = await readerFor(snapshot.storeId);
      for await (const p of readContentFrames(reader, manifest, range.offset, range.length, { signal, concurrency: deps.readConcurrency ?? 4 })) {
        yield isChunkFrame(p) ? { frame: p.frame, digest: p.location.digest.bytes, size: p.location.plainSize } : p;
      }
    },

    async verify(snapshot, onProgress, signal) {
      const manifest = await manifests.load(snapshot.storeId, snapshot.contentRef);
      const sha = parseDigest(snapshot.sha256);
      if (!sha) return { bytesChecked: 0, problems: [{ subject: "snapshot", message: "recorded sha256 is malformed" }] };
      return verifyContent(await readerFor(snapshot.storeId), manifest, { size: snapshot.size, sha256: sha }, { onProgress, signal });
    },
  };

  return {
    ...store,
    /** Stores many small contents together (one lease, shared packs); results in item order. */
    ingestMany(storeId: string, items: readonly BatchIngestItem[], signal?: AbortSignal): Promise<IngestResult[]> {
      return deps.leases.hold(storeId, (lease) =>
        ingestMany({ db, keys, manifests, newId: deps.newId, chunking: deps.chunking, packWriter: indexingPackWriter }, lease, items, signal),
      );
    },
    ingestChunks,
    indexingPackWriter,
    admitIngest,
    saveVerified,
    readerFor,
    /** The chunk manifest of a snapshot's content (for chunk-level compare without content reads). */
    manifestOf: (s: { storeId: string; contentRef: string }) => manifests.load(s.storeId, s.contentRef),
  };
}

export type ChunkedContentStore = ReturnType<typeof createChunkedContentStore>;
