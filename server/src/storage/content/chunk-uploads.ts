import { digestOf, type Sha256 } from "../../domain/digest.js";
import { failedPrecondition, invalidField } from "../../domain/errors.js";
import type { IngestResult } from "../../domain/ports.js";
import type { ChunkUploadStore, UploadedChunk } from "../../domain/uploads/types.js";
import { encryptChunk } from "../engine/chunk-crypto.js";
import { MIN_SAVING_RATIO, decodeChunk, encodeChunk, type EncodedChunk } from "../engine/codec.js";
import { createManifest, type ManifestEntry } from "../engine/manifest.js";
import type { ChunkedContentStore } from "./chunked-store.js";
import { createPgChunkIndex } from "./pg-chunk-index.js";
import type { ChunkedStoreDeps } from "./chunked-store.js";

export const MAX_UPLOADED_CHUNK_BYTES = 8 * 1024 * 1024;
const DEDUP_BATCH = 256;

/**
 * The chunk's plaintext and how to store it: a client's zstd frame is decoded (never beyond its
 * declared size) so the server hashes the real bytes, and the frame itself is kept when it saves
 * what the server's own compression would have to (no second compression of the same chunk).
 */
function received(c: UploadedChunk): { plain: Uint8Array; encoded?: EncodedChunk } {
  if (c.zstdSize === undefined) return { plain: new Uint8Array(c.bytes) }; // a copy: the batch outlives the message
  let plain: Uint8Array;
  try {
    plain = decodeChunk("zstd", c.bytes, c.zstdSize);
  } catch {
    throw invalidField("chunk", `is not one zstd frame of ${c.zstdSize} bytes`);
  }
  const saves = c.bytes.length <= plain.length * (1 - MIN_SAVING_RATIO);
  return { plain, encoded: saves ? { codec: "zstd", data: new Uint8Array(c.bytes) } : undefined };
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

    /** Stores each received chunk once; durable and indexed when this resolves. */
    async storeChunks(storeId: string, encrypted: boolean, chunks: AsyncIterable<UploadedChunk>, signal?: AbortSignal) {
      const index = createPgChunkIndex(deps.db, { encrypted });
      const dataKey = encrypted ? await deps.keys.getOrCreate(storeId) : undefined;
      const packWriter = content.indexingPackWriter(storeId, signal);
      let count = 0;
      let stored = 0;
      let bytes = 0;
      let batch: { digest: Sha256; data: Uint8Array; encoded?: EncodedChunk }[] = [];
      const written = new Set<string>();
      const flush = async () => {
        const missing = new Set((await index.findMissing(storeId, batch.map((b) => b.digest))).map((d) => d.toHex()));
        for (const { digest, data, encoded } of batch) {
          const hex = digest.toHex();
          if (!missing.has(hex) || written.has(hex)) continue;
          written.add(hex);
          const e = encoded ?? encodeChunk(data, { compress: true });
          const rec = dataKey ? encryptChunk(dataKey, e.data, { storeId, digest, codec: e.codec }) : e.data;
          await packWriter.add({ digest, codec: e.codec, encrypted, plainSize: data.length, data: rec });
          stored++;
          bytes += rec.length;
        }
        batch = [];
      };
      try {
        for await (const chunk of chunks) {
          if (chunk.bytes.length > MAX_UPLOADED_CHUNK_BYTES) throw invalidField("chunk", `must be at most ${MAX_UPLOADED_CHUNK_BYTES} bytes`);
          const { plain, encoded } = received(chunk);
          count++;
          batch.push({ digest: digestOf(plain), data: plain, encoded });
          if (batch.length >= DEDUP_BATCH) await flush();
        }
        await flush();
        await packWriter.finish(); // every pack is indexed once durable
      } catch (err) {
        await packWriter.abort();
        throw err;
      }
      return { received: count, stored, bytes };
    },

    /**
     * Builds content from an ordered chunk list the store already holds: every chunk must be
     * present (as an encrypted copy when `encrypted`) with the stated size; every chunk is read
     * back and verified while the content hash is computed.
     */
    async assemble(
      storeId: string,
      entries: ManifestEntry[],
      encrypted: boolean,
      expected: { sha256?: string; size?: number },
      signal?: AbortSignal,
    ): Promise<IngestResult> {
      const index = createPgChunkIndex(deps.db, { encrypted });
      const missing: string[] = [];
      for (let i = 0; i < entries.length; i += 5000) {
        const slice = entries.slice(i, i + 5000);
        const found = await index.lookup(storeId, slice.map((e) => e.digest));
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
      return content.saveVerified(storeId, createManifest(entries), encrypted, expected, { signal });
    },
  };
}

