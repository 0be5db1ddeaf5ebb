/**
 * Inline ingest: content that arrived whole in one request (CreateSnapshot) and is small is chunked
 * and hashed in memory, its new chunks are written as one small pack object, and the pack row, the
 * index rows and the manifest are saved by `step` inside the transaction that creates the
 * snapshot. One commit makes content and snapshot visible together, after the pack is durable;
 * no ingest lease is taken (two fewer commits per create).
 *
 * Why reclaim cannot remove what such a create relies on before it commits:
 * - a reused chunk: its `last_seen` is at most CHUNK_FRESH_MS old (older ones are touched), and
 *   reclaim deletes a chunk row only while `last_seen` is older than its grace period (checked in
 *   the DELETE itself);
 * - the new pack object: the orphan sweep deletes a rowless object only once it has been seen
 *   rowless for the grace period.
 * The scheduled grace period is at least an hour (VELLUM_RECLAIM_GRACE_MS); `step` refuses with
 * ABORTED once INLINE_COMMIT_WINDOW_MS have passed since the lookup, and CHUNK_FRESH_MS plus that
 * window is well under an hour, so both hold until the commit.
 */
import { chunkBoundaries } from "../../../../sdk/src/chunking/fastcdc.js";
import { digestOf, type Sha256 } from "../../domain/digest.js";
import { aborted } from "../../domain/errors.js";
import type { IngestResult, StagedContent } from "../../domain/ports.js";
import type { BufferBudget } from "../../lib/buffer-budget.js";
import type { Tx } from "../db/audit-repo.js";
import { packs as packsTable } from "../db/schema/index.js";
import { CHUNK_ENCRYPTION_ALGORITHM } from "../engine/chunk-crypto.js";
import { addChunkRecord } from "../engine/chunk-record.js";
import { DEFAULT_ZSTD_LEVEL } from "../engine/codec.js";
import { dataKeyId } from "../engine/kms.js";
import { createManifest } from "../engine/manifest.js";
import { encodePackFooter, encodePackHeader, encodePackIndex, packKey, type PackEntry } from "../engine/pack-format.js";
import { newPackId, type PackRecord, type PackWriter } from "../engine/pack-writer.js";
import type { ChunkedStoreDeps } from "./chunked-store.js";
import { dropUnindexedPacks } from "./pack-rows.js";
import { createPgChunkIndex } from "./pg-chunk-index.js";

/** Largest content stored inline (larger content takes the streaming ingest). */
export const INLINE_MAX_BYTES = 1024 * 1024;
/**
 * Longest time from the chunk touch to the commit of an inline create: far below the shortest
 * reclaim grace period the configuration accepts (one hour).
 */
export const INLINE_COMMIT_WINDOW_MS = 10 * 60_000;
/**
 * A reused chunk seen within this long is not touched again (no write, no row lock shared by
 * every create of the same content); see the reclaim argument above.
 */
export const CHUNK_FRESH_MS = 10 * 60_000;

/** The chunked store's dependencies; the inline content's encoded copy is held against `budget` (its size, not a pack target). */
export type InlineIngestDeps = Pick<ChunkedStoreDeps, "db" | "blobs" | "keys" | "manifests" | "newId" | "chunking"> & { budget: BufferBudget };

/** A small pack built in memory: records are appended as `addChunkRecord` adds them. */
function memoryPack() {
  const parts: Uint8Array[] = [encodePackHeader()];
  const entries: PackEntry[] = [];
  let size = parts[0].length;
  const writer: PackWriter = {
    async add(r: PackRecord) {
      entries.push({ digest: r.digest, offset: size, length: r.data.length, plainSize: r.plainSize, codec: r.codec, encrypted: r.encrypted });
      parts.push(r.data);
      size += r.data.length;
    },
    finish: async () => [],
    abort: async () => undefined,
  };
  const bytes = () => {
    const index = encodePackIndex(entries);
    return Buffer.concat([...parts, index, encodePackFooter(size, index)]);
  };
  return { writer, entries, bytes };
}

/** Stages `bytes` (at most INLINE_MAX_BYTES) for the transaction that creates their snapshot. */
export async function stageInline(
  deps: InlineIngestDeps,
  storeId: string,
  bytes: Uint8Array,
  opts: { encrypt: boolean; signal?: AbortSignal },
): Promise<StagedContent> {
  if (bytes.length > INLINE_MAX_BYTES) throw new RangeError(`inline content is at most ${INLINE_MAX_BYTES} bytes`);
  const touched = Date.now();
  let start = 0;
  const chunks = chunkBoundaries(bytes, deps.chunking).map((end) => {
    const data = bytes.subarray(start, (start = end));
    return { digest: digestOf(data), data };
  });
  const sha256: Sha256 = chunks.length === 1 ? chunks[0].digest : digestOf(bytes);
  const missing = new Set(
    (await createPgChunkIndex(deps.db, { encrypted: opts.encrypt }).findMissingTouchingStale(storeId, chunks.map((c) => c.digest), CHUNK_FRESH_MS)).map(
      (d) => d.key(),
    ),
  );
  const dataKey = opts.encrypt ? await deps.keys.getOrCreate(storeId) : undefined;

  let pack: { packId: string; key: string; size: number; entries: PackEntry[] } | undefined;
  let storedSize = 0;
  if (missing.size) {
    const grant = await deps.budget.acquire(bytes.length, opts.signal);
    try {
      const p = memoryPack();
      for (const c of chunks) {
        if (!missing.delete(c.digest.key())) continue; // present, or an earlier chunk of this content
        storedSize += await addChunkRecord(p.writer, { digest: c.digest, plainSize: c.data.length, plain: c.data }, {
          storeId,
          dataKey,
          encode: { compress: true, level: DEFAULT_ZSTD_LEVEL },
        });
      }
      const packId = newPackId();
      const body = p.bytes();
      const key = packKey(storeId, packId);
      await deps.blobs.put(key, body, { ifAbsent: true, signal: opts.signal });
      pack = { packId, key, size: body.length, entries: p.entries };
    } finally {
      grant.release();
    }
  }

  const manifest = createManifest(chunks.map((c) => ({ digest: c.digest, size: c.data.length })));
  const result: IngestResult = {
    contentRef: deps.newId(),
    sha256: sha256.toHex(),
    size: bytes.length,
    storedSize,
    encryption: dataKey ? { algorithm: CHUNK_ENCRYPTION_ALGORITHM, keyId: dataKeyId(dataKey) } : undefined,
  };
  return {
    result,
    step: {
      async run(t: unknown) {
        const tx = t as Tx;
        if (Date.now() - touched > INLINE_COMMIT_WINDOW_MS) {
          throw aborted("the create took too long to commit its content safely; retry it", "INLINE_COMMIT_WINDOW_PASSED");
        }
        if (pack) {
          await tx.insert(packsTable).values({ storeId, packId: pack.packId, blobKey: pack.key, size: pack.size });
          const { packId } = pack;
          await createPgChunkIndex(tx, { encrypted: false }).insert(storeId, pack.entries.map((e) => ({ ...e, packId })));
        }
        await deps.manifests.saveTx(tx, [{ id: result.contentRef, storeId, manifest, sha256: result.sha256, encrypted: opts.encrypt }]);
      },
    },
    async abandon() {
      if (pack) await dropUnindexedPacks(deps.db, deps.blobs, storeId, [pack]);
    },
  };
}
