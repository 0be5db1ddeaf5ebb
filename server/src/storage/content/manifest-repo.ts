import { and, eq } from "drizzle-orm";
import { dataLoss } from "../../domain/errors.js";
import type { Db } from "../db/client.js";
import { manifests } from "../db/schema/index.js";
import { decodeManifest, encodeManifest, type Manifest } from "../engine/manifest.js";

/** Manifests in Postgres, with a small in-process cache of decoded manifests (immutable rows). */
export function createManifestRepo(db: Db, opts: { cacheEntries?: number } = {}) {
  const budget = opts.cacheEntries ?? 200_000;
  const cache = new Map<string, Manifest>();
  let cached = 0;

  function remember(id: string, m: Manifest) {
    if (m.entries.length > budget) return;
    while (cached + m.entries.length > budget && cache.size) {
      const [oldest, om] = cache.entries().next().value as [string, Manifest];
      cache.delete(oldest);
      cached -= om.entries.length;
    }
    cache.set(id, m);
    cached += m.entries.length;
  }

  return {
    async save(id: string, storeId: string, m: Manifest, sha256: string, encrypted: boolean): Promise<void> {
      await db.insert(manifests).values({
        id,
        storeId,
        size: m.size,
        sha256,
        chunkCount: m.entries.length,
        encrypted,
        body: encodeManifest(m),
      });
      remember(id, m);
    },

    /** The manifest of a content ref; a missing manifest is DATA_LOSS (a snapshot points at it). */
    async load(storeId: string, id: string): Promise<Manifest> {
      const hit = cache.get(id);
      if (hit) return hit;
      const [row] = await db
        .select({ body: manifests.body })
        .from(manifests)
        .where(and(eq(manifests.storeId, storeId), eq(manifests.id, id)));
      if (!row) throw dataLoss(`manifest ${id} is missing`);
      const m = decodeManifest(row.body);
      remember(id, m);
      return m;
    },
  };
}

export type ManifestRepo = ReturnType<typeof createManifestRepo>;
