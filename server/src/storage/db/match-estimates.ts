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
export type MatchEstimates = (key: string, count: () => Promise<MatchCount>) => Promise<MatchCount>;

/**
 * Keeps the estimates `count` returns (MatchCount.estimated: more matches than are counted exactly)
 * by `key`, which names the filter, its store included. Contract:
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
  return async (filterKey, count) => {
    const key = hash("sha256", filterKey, "base64");
    const held = entries.get(key);
    if (held && now() - held.madeAt < ttlMs) return { n: held.n, estimated: true };
    if (held) entries.delete(key);
    const madeAt = now();
    const counted = await count();
    if (counted.estimated && ttlMs > 0) {
      entries.delete(key);
      entries.set(key, { n: counted.n, madeAt });
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    }
    return counted;
  };
}
