import { hash } from "node:crypto";
import type { MatchCount } from "./match-count.js";

/** How long a planner estimate of a filter's matches is given again, by default: an estimate is at most this old. */
export const MATCH_ESTIMATE_TTL_MS = 10_000;
/** Most estimates held; the oldest is dropped beyond it. */
export const MATCH_ESTIMATE_MAX_ENTRIES = 10_000;

export interface MatchEstimateOptions {
  /** 0 keeps nothing: every call counts. */
  readonly ttlMs?: number;
  readonly maxEntries?: number;
  /** Milliseconds clock; injectable for tests. */
  readonly now?: () => number;
}

/** Counts of matches by filter, with recent estimates given again instead of counted again. */
export interface MatchEstimates {
  /** The estimate kept for `filterKey` while it is fresh, else undefined. */
  held(filterKey: string): number | undefined;
  /** held() as a MatchCount when there is one, else `count()`'s result (kept when it is an estimate). */
  count(filterKey: string, count: () => Promise<MatchCount>): Promise<MatchCount>;
}

/**
 * Keeps the estimates that counts return (MatchCount.estimated: more matches than are counted
 * exactly) by a key that names the filter, its store included. Contract:
 * - An estimate is given again for `ttlMs` after it was made, with `estimated` still true, instead
 *   of counting again: listing many matches page by page, or refreshing the listing, counts once per
 *   `ttlMs`. So an estimate may be up to `ttlMs` old, and may still say "more than the exact limit"
 *   for that long after deletions brought the matches under it.
 * - An exact count is never kept: a filter with few matches is counted on every call.
 * - A failed count is not kept, and nothing is kept past `maxEntries` (the oldest goes first).
 *   Entries are held under the SHA-256 of their key, so a long filter costs no more than a short one.
 */
export function createMatchEstimates(opts: MatchEstimateOptions = {}): MatchEstimates {
  const ttlMs = opts.ttlMs ?? MATCH_ESTIMATE_TTL_MS;
  const maxEntries = opts.maxEntries ?? MATCH_ESTIMATE_MAX_ENTRIES;
  const now = opts.now ?? Date.now;
  const entries = new Map<string, { n: number; madeAt: number }>();
  const keyOf = (filterKey: string) => hash("sha256", filterKey, "base64");
  const fresh = (key: string) => {
    const e = entries.get(key);
    if (e && now() - e.madeAt < ttlMs) return e.n;
    if (e) entries.delete(key);
    return undefined;
  };
  return {
    held: (filterKey) => fresh(keyOf(filterKey)),
    async count(filterKey, count) {
      const key = keyOf(filterKey);
      const held = fresh(key);
      if (held !== undefined) return { n: held, estimated: true };
      const madeAt = now();
      const counted = await count();
      if (counted.estimated && ttlMs > 0) {
        entries.delete(key);
        entries.set(key, { n: counted.n, madeAt });
        if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
      }
      return counted;
    },
  };
}
