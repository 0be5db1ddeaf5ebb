import { and, asc, eq } from "drizzle-orm";
import { dataLoss } from "../../domain/errors.js";
import type { Tx } from "../db/audit-repo.js";
import type { Db } from "../db/client.js";
import { manifestParts, manifests } from "../db/schema/index.js";
import { decodeManifest, encodeManifest, type Manifest } from "../engine/manifest.js";

/**
 * Encoded manifests are stored in parts of this many bytes (about 7,000 chunks): the first in
 * `manifests.body`, the rest in `manifest_parts`. A body shorter than this has no parts.
 */
export const MANIFEST_PART_BYTES = 256 * 1024;

/**
 * The whole encoded body of manifest `id` whose `manifests.body` is `first`: the parts follow
 * when `first` fills a part. Every reader of stored manifests goes through this.
 */
export async function readManifestBody(db: Db | Tx, id: string, first: Uint8Array, partBytes = MANIFEST_PART_BYTES): Promise<Uint8Array> {
  if (first.length !== partBytes) return first;
  const rest = await db
    .select({ body: manifestParts.body })
    .from(manifestParts)
    .where(eq(manifestParts.manifestId, id))
    .orderBy(asc(manifestParts.part));
  return Buffer.concat([first, ...rest.map((r) => r.body)]);
}

/** A manifest to save, with the row fields that describe it. */
export interface NewManifest {
  id: string;
  storeId: string;
  manifest: Manifest;
  sha256: string;
  encrypted: boolean;
}

/** Manifests in Postgres, with a small in-process cache of decoded manifests (immutable rows). */
export function createManifestRepo(db: Db, opts: { cacheEntries?: number; partBytes?: number } = {}) {
  const partBytes = opts.partBytes ?? MANIFEST_PART_BYTES;
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

  /**
   * Saves manifests inside the caller's transaction: the first parts of all of them in one
   * statement, further parts one statement each, so every parameter stays small (see
   * manifest_parts in the schema).
   */
  async function saveTx(tx: Tx, items: readonly NewManifest[]): Promise<void> {
    const bodies = items.map((it) => encodeManifest(it.manifest));
    await tx.insert(manifests).values(
      items.map((it, k) => ({
        id: it.id,
        storeId: it.storeId,
        size: it.manifest.size,
        sha256: it.sha256,
        chunkCount: it.manifest.entries.length,
        encrypted: it.encrypted,
        body: bodies[k].subarray(0, partBytes),
      })),
    );
    for (const [k, body] of bodies.entries()) {
      for (let i = 1; i * partBytes < body.length; i++) {
        await tx.insert(manifestParts).values({ manifestId: items[k].id, part: i, body: body.subarray(i * partBytes, (i + 1) * partBytes) });
      }
    }
    for (const it of items) remember(it.id, it.manifest);
  }

  /** Saves manifests in one transaction, `fence` first (an ingest lease's check). */
  async function saveMany(items: readonly NewManifest[], fence?: (tx: Tx) => Promise<void>): Promise<void> {
    await db.transaction(async (tx) => {
      await fence?.(tx);
      await saveTx(tx, items);
    });
  }

  return {
    /** Saves a manifest; `fence` runs first in the same transaction (an ingest lease's check). */
    save(id: string, storeId: string, m: Manifest, sha256: string, encrypted: boolean, fence?: (tx: Tx) => Promise<void>): Promise<void> {
      return saveMany([{ id, storeId, manifest: m, sha256, encrypted }], fence);
    },

    saveMany,
    saveTx,

    /** The manifest of a content ref; a missing manifest is DATA_LOSS (a snapshot points at it). */
    async load(storeId: string, id: string): Promise<Manifest> {
      const hit = cache.get(id);
      if (hit) return hit;
      const [row] = await db
        .select({ body: manifests.body })
        .from(manifests)
        .where(and(eq(manifests.storeId, storeId), eq(manifests.id, id)));
      if (!row) throw dataLoss(`manifest ${id} is missing`);
      const m = decodeManifest(await readManifestBody(db, id, row.body, partBytes)); // checksummed: a lost or damaged part is DATA_LOSS
      remember(id, m);
      return m;
    },
  };
}

export type ManifestRepo = ReturnType<typeof createManifestRepo>;
