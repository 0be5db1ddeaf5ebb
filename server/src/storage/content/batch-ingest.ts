/**
 * Ingest of many small contents at once (BatchCreateSnapshots): one ingest lease, one index lookup
 * per encryption mode for every chunk of every content, one pack writer shared by all of them (so
 * a batch of small documents becomes one pack object and one index transaction instead of one per
 * document), and all manifests saved in one transaction. Same guarantees as a single ingest: packs
 * are durable and indexed before any manifest that uses them is saved, under a held lease.
 */
import { chunkBoundaries, type ChunkerOptions } from "../../../../sdk/src/chunking/fastcdc.js";
import { digestOf, type Sha256 } from "../../domain/digest.js";
import type { IngestResult } from "../../domain/ports.js";
import type { Db } from "../db/client.js";
import { CHUNK_ENCRYPTION_ALGORITHM } from "../engine/chunk-crypto.js";
import { addChunkRecord } from "../engine/chunk-record.js";
import { DEFAULT_ZSTD_LEVEL } from "../engine/codec.js";
import { createManifest, type ManifestEntry } from "../engine/manifest.js";
import type { PackWriter } from "../engine/pack-writer.js";
import type { IngestLease } from "./ingest-leases.js";
import type { ManifestRepo } from "./manifest-repo.js";
import { createPgChunkIndex } from "./pg-chunk-index.js";
import type { StoreKeys } from "./store-keys.js";

export interface BatchIngestDeps {
  db: Db;
  keys: StoreKeys;
  manifests: ManifestRepo;
  newId: () => string;
  chunking?: Partial<ChunkerOptions>;
  /** A pack writer that indexes each pack as soon as it is durable, fenced by `lease`. */
  packWriter(lease: IngestLease, signal?: AbortSignal): PackWriter;
}

export interface BatchIngestItem {
  bytes: Uint8Array;
  encrypt: boolean;
}

interface Chunk {
  digest: Sha256;
  data: Uint8Array;
}

/** Stores every item's content under `lease`; results are in item order. */
export async function ingestMany(deps: BatchIngestDeps, lease: IngestLease, items: readonly BatchIngestItem[], signal?: AbortSignal): Promise<IngestResult[]> {
  const { storeId } = lease;
  const chunked = items.map((item) => {
    let start = 0;
    const chunks: Chunk[] = chunkBoundaries(item.bytes, deps.chunking).map((end) => {
      const data = item.bytes.subarray(start, (start = end));
      return { digest: digestOf(data), data };
    });
    return { chunks, sha256: digestOf(item.bytes) };
  });

  // Which chunks to write, per encryption mode: the first occurrence of each digest the index lacks.
  const missing = new Map<boolean, Set<string>>();
  for (const encrypted of [false, true]) {
    const digests = chunked.flatMap((c, i) => (items[i].encrypt === encrypted ? c.chunks.map((ch) => ch.digest) : []));
    if (digests.length === 0) continue;
    const absent = await createPgChunkIndex(deps.db, { encrypted }).findMissing(storeId, digests);
    missing.set(encrypted, new Set(absent.map((d) => d.key())));
  }

  const dataKey = items.some((i) => i.encrypt) ? await deps.keys.getOrCreate(storeId) : undefined;
  const writer = deps.packWriter(lease, signal);
  const storedBytes = new Array<number>(items.length).fill(0);
  try {
    for (const [i, c] of chunked.entries()) {
      const toWrite = missing.get(items[i].encrypt);
      for (const ch of c.chunks) {
        if (!toWrite?.delete(ch.digest.key())) continue; // present, or written for an earlier item
        signal?.throwIfAborted();
        storedBytes[i] += await addChunkRecord(
          writer,
          { digest: ch.digest, plainSize: ch.data.length, plain: ch.data },
          { storeId, dataKey: items[i].encrypt ? dataKey : undefined, encode: { compress: true, level: DEFAULT_ZSTD_LEVEL } },
        );
      }
    }
    await writer.finish();
  } catch (err) {
    await writer.abort();
    throw err;
  }

  const saved = chunked.map((c, i) => ({
    id: deps.newId(),
    storeId,
    manifest: createManifest(c.chunks.map((ch): ManifestEntry => ({ digest: ch.digest, size: ch.data.length }))),
    sha256: c.sha256.toHex(),
    encrypted: items[i].encrypt,
  }));
  await deps.manifests.saveMany(saved, lease.fence);
  return saved.map((m, i) => ({
    contentRef: m.id,
    sha256: m.sha256,
    size: m.manifest.size,
    storedSize: storedBytes[i],
    encryption: m.encrypted ? { algorithm: CHUNK_ENCRYPTION_ALGORITHM, keyId: deps.keys.kmsKeyId } : undefined,
  }));
}
