import type { ApiKeyRepository, StoredApiKey } from "./api-key.js";

/** How long a looked-up key record is served from memory when no change notification arrives. */
export const API_KEY_CACHE_TTL_MS = 10_000;
/** Most key records held; the oldest entry is dropped beyond it. */
export const API_KEY_CACHE_MAX_ENTRIES = 10_000;

export interface ApiKeyCacheOptions {
  readonly ttlMs?: number;
  readonly maxEntries?: number;
  /** Milliseconds clock; injectable for tests. */
  readonly now?: () => number;
}

/** `findById` served from memory, plus the invalidations that keep it true. */
export interface ApiKeyCache extends Pick<ApiKeyRepository, "findById"> {
  /** Forgets one key: the next lookup reads it again. */
  invalidate(keyId: string): void;
  /** Forgets every key (after change notifications may have been missed). */
  clear(): void;
}

/**
 * Caches API key records by id in front of `lookup`, so authenticating a request does not read the
 * database each time. Contract:
 * - A record is served for at most `ttlMs` after it was read. Revocation and secret changes reach
 *   the cache sooner through `invalidate`/`clear` (the owner wires them to change notifications);
 *   the TTL bounds staleness when a notification is lost.
 * - Absent keys are not cached: a key created a moment ago authenticates at once.
 * - Concurrent lookups of one uncached key share one read. A failed read is not cached.
 * - A read that was in flight when an invalidation arrived is not cached (it may predate the change).
 * Expiry and revocation are still checked on every request by `verifyApiKey` against the record.
 */
export function createApiKeyCache(lookup: ApiKeyRepository["findById"], opts: ApiKeyCacheOptions = {}): ApiKeyCache {
  const ttlMs = opts.ttlMs ?? API_KEY_CACHE_TTL_MS;
  const maxEntries = opts.maxEntries ?? API_KEY_CACHE_MAX_ENTRIES;
  const now = opts.now ?? Date.now;
  const entries = new Map<string, { record: StoredApiKey; readAt: number }>();
  const reading = new Map<string, Promise<StoredApiKey | undefined>>();
  /** Bumped by every invalidation; a read started under an older generation is not cached. */
  let generation = 0;

  function read(keyId: string): Promise<StoredApiKey | undefined> {
    const startedAt = now();
    const startedIn = generation;
    const p = lookup(keyId)
      .then((record) => {
        if (record && generation === startedIn) {
          entries.delete(keyId);
          if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
          entries.set(keyId, { record, readAt: startedAt });
        }
        return record;
      })
      .finally(() => {
        if (reading.get(keyId) === p) reading.delete(keyId);
      });
    reading.set(keyId, p);
    return p;
  }

  return {
    async findById(keyId) {
      const hit = entries.get(keyId);
      if (hit && now() - hit.readAt < ttlMs) return hit.record;
      if (hit) entries.delete(keyId);
      return reading.get(keyId) ?? read(keyId);
    },
    invalidate(keyId) {
      generation++;
      entries.delete(keyId);
      reading.delete(keyId);
    },
    clear() {
      generation++;
      entries.clear();
      reading.clear();
    },
  };
}
