import { and, eq, inArray, sql } from "drizzle-orm";
import { Sha256 } from "../../domain/digest.js";
import type { Db } from "../db/client.js";
import { chunks } from "../db/schema/index.js";
import type { ChunkIndex } from "../engine/chunk-index.js";
import { CODEC_IDS, codecFromId, type ChunkLocation } from "../engine/types.js";

/**
 * Postgres ChunkIndex. `encrypted` selects which records an ingest may dedup against: an encrypted
 * ingest only reuses encrypted records; a plaintext ingest reuses any (the server can read both).
 * `findMissing` also touches `last_seen` of every chunk it reports present, so garbage collection
 * (which only removes chunks unseen for its grace period) cannot delete a chunk an ingest in
 * progress has just decided to reuse.
 */
export function createPgChunkIndex(db: Db, opts: { encrypted: boolean }): ChunkIndex {
  const encFilter = opts.encrypted ? eq(chunks.encrypted, true) : undefined;
  return {
    async findMissing(storeId, digests) {
      if (digests.length === 0) return [];
      const bufs = digests.map((d) => Buffer.from(d.bytes));
      const present = await db
        .update(chunks)
        .set({ lastSeen: sql`now()` })
        .where(and(eq(chunks.storeId, storeId), inArray(chunks.digest, bufs), encFilter))
        .returning({ digest: chunks.digest });
      const have = new Set(present.map((r) => Buffer.from(r.digest).toString("hex")));
      const seen = new Set<string>();
      const out: Sha256[] = [];
      for (const d of digests) {
        const hex = d.toHex();
        if (have.has(hex) || seen.has(hex)) continue;
        seen.add(hex);
        out.push(d);
      }
      return out;
    },

    async lookup(storeId, digests) {
      const out = new Map<string, ChunkLocation>();
      if (digests.length === 0) return out;
      const rows = await db
        .select()
        .from(chunks)
        .where(and(eq(chunks.storeId, storeId), inArray(chunks.digest, digests.map((d) => Buffer.from(d.bytes)))));
      for (const r of rows) {
        const hex = Buffer.from(r.digest).toString("hex");
        if (out.has(hex) && !r.encrypted) continue; // prefer one deterministic choice: encrypted copy
        out.set(hex, {
          digest: Sha256.fromBytes(r.digest),
          packId: r.packId,
          offset: r.offset,
          length: r.length,
          plainSize: r.plainSize,
          codec: codecFromId(r.codec) ?? "raw",
          encrypted: r.encrypted,
        });
      }
      return out;
    },

    async insert(storeId, locations) {
      for (let i = 0; i < locations.length; i += 1000) {
        await db
          .insert(chunks)
          .values(
            locations.slice(i, i + 1000).map((l) => ({
              storeId,
              digest: Buffer.from(l.digest.bytes),
              encrypted: l.encrypted,
              packId: l.packId,
              offset: l.offset,
              length: l.length,
              plainSize: l.plainSize,
              codec: CODEC_IDS[l.codec],
            })),
          )
          .onConflictDoNothing();
      }
    },
  };
}
