/**
 * The ChunkIndex port: per store, chunk digest -> location of its stored record. Dedup works across
 * every snapshot of a store because ingest consults this index; stores never share chunks.
 * The Postgres implementation lives with the database code; `createMemoryChunkIndex` is for tests
 * and tools.
 */
import type { Sha256 } from "../../domain/digest.js";
import type { ChunkLocation } from "./types.js";

export interface ChunkIndex {
  /** The digests the store has no location for, in input order, each once. */
  findMissing(storeId: string, digests: readonly Sha256[]): Promise<Sha256[]>;
  /** Locations of the digests the store has, keyed by lowercase hex digest. */
  lookup(storeId: string, digests: readonly Sha256[]): Promise<Map<string, ChunkLocation>>;
  /**
   * Records locations. A digest that is already indexed keeps its existing location (first
   * writer wins), so concurrent ingests of the same chunk are harmless; the loser's copy is
   * unreferenced pack space.
   */
  insert(storeId: string, locations: readonly ChunkLocation[]): Promise<void>;
}

/** `digests` that `present` (hex digests) lacks, once each, in their order. */
export function absentDigests(digests: readonly Sha256[], present: { has(hex: string): boolean }): Sha256[] {
  const seen = new Set<string>();
  const out: Sha256[] = [];
  for (const d of digests) {
    const hex = d.toHex();
    if (present.has(hex) || seen.has(hex)) continue;
    seen.add(hex);
    out.push(d);
  }
  return out;
}

export function createMemoryChunkIndex(): ChunkIndex {
  const stores = new Map<string, Map<string, ChunkLocation>>();
  const of = (storeId: string) => {
    let m = stores.get(storeId);
    if (m === undefined) stores.set(storeId, (m = new Map()));
    return m;
  };
  return {
    async findMissing(storeId, digests) {
      return absentDigests(digests, of(storeId));
    },
    async lookup(storeId, digests) {
      const m = of(storeId);
      const out = new Map<string, ChunkLocation>();
      for (const d of digests) {
        const loc = m.get(d.toHex());
        if (loc !== undefined) out.set(d.toHex(), loc);
      }
      return out;
    },
    async insert(storeId, locations) {
      const m = of(storeId);
      for (const l of locations) if (!m.has(l.digest.toHex())) m.set(l.digest.toHex(), { ...l });
    },
  };
}
