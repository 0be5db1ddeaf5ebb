import { resourceExhausted, type DomainError } from "../errors.js";

export type RateClass = "read" | "write";

export interface BucketConfig {
  /** Sustained rate: tokens added per second. */
  readonly ratePerSecond: number;
  /** Bucket capacity: the most requests allowed at once after being idle. Also the reported limit. */
  readonly burst: number;
}

export interface RateLimiterConfig {
  readonly classes: Readonly<Record<RateClass, BucketConfig>>;
  /**
   * Most buckets kept (default 10 000). Past it the least recently used bucket is dropped; its key
   * starts again from a full bucket, so keep the cap well above the number of active keys.
   */
  readonly maxBuckets?: number;
  /**
   * Buckets unused for this long are dropped (default: the longest time any class needs to refill
   * from empty, so an evicted bucket would have been full anyway and eviction changes nothing).
   */
  readonly idleMs?: number;
}

/**
 * One bucket per (principal, store, class). Use ids that were already authenticated and authorized
 * (never raw client-supplied store ids), or a client can mint fresh buckets at will.
 */
export interface RateLimitKey {
  readonly principalId: string;
  readonly storeId: string;
  readonly rateClass: RateClass;
}

export interface RateLimitResult {
  readonly allowed: boolean;
  /** Whole tokens left after this call. */
  readonly remaining: number;
  /** The class's burst. */
  readonly limit: number;
  /** Milliseconds until the bucket is full again. */
  readonly resetMs: number;
  /** 0 when allowed; otherwise milliseconds until `cost` tokens will be available. */
  readonly retryAfterMs: number;
}

export interface RateLimiter {
  /**
   * Takes `cost` tokens (default 1) if available. A denied call takes nothing. `now` (epoch ms)
   * defaults to the injected clock; time going backwards is treated as no time passing.
   * @throws RangeError when cost is not positive or exceeds the class's burst (it could never pass).
   */
  take(key: RateLimitKey, cost?: number, now?: number): RateLimitResult;
  /** `take`, but throws `rateLimitExceeded(result)` (RESOURCE_EXHAUSTED with retryAfterMs) when denied. */
  consume(key: RateLimitKey, cost?: number, now?: number): RateLimitResult;
  /** Number of buckets currently held. */
  size(): number;
}

const EPSILON = 1e-6;

interface Bucket {
  tokens: number;
  updatedAt: number;
  lastUsed: number;
}

/** The error for a denied request; the message states the wait in whole seconds. */
export const rateLimitExceeded = (result: RateLimitResult): DomainError =>
  resourceExhausted(
    `rate limit exceeded; retry after ${Math.max(1, Math.ceil(result.retryAfterMs / 1000))}s`,
    result.retryAfterMs,
    "RATE_LIMITED",
  );

/** In-memory token buckets for one process; each key's bucket is independent of every other. */
export function createRateLimiter(config: RateLimiterConfig, clock: () => number = Date.now): RateLimiter {
  for (const [name, c] of Object.entries(config.classes)) {
    if (!(c.ratePerSecond > 0 && Number.isFinite(c.ratePerSecond))) throw new TypeError(`rate for ${name} must be positive`);
    if (!(c.burst >= 1 && Number.isFinite(c.burst))) throw new TypeError(`burst for ${name} must be at least 1`);
  }
  const maxBuckets = config.maxBuckets ?? 10_000;
  if (!(maxBuckets >= 1)) throw new TypeError("maxBuckets must be at least 1");
  const idleMs =
    config.idleMs ?? Math.max(...Object.values(config.classes).map((c) => Math.ceil((c.burst / c.ratePerSecond) * 1000)));
  // Map iteration order is insertion order; re-inserting on use keeps it least-recently-used first.
  const buckets = new Map<string, Bucket>();

  const evictIdle = (now: number) => {
    for (const [k, b] of buckets) {
      if (now - b.lastUsed < idleMs) break;
      buckets.delete(k);
    }
  };

  const take = (key: RateLimitKey, cost = 1, now = clock()): RateLimitResult => {
    const { ratePerSecond, burst } = config.classes[key.rateClass];
    if (!(cost > 0) || cost > burst) throw new RangeError(`rate limit cost must be in (0, ${burst}]`);
    evictIdle(now);
    const id = JSON.stringify([key.principalId, key.storeId, key.rateClass]);
    let bucket = buckets.get(id);
    if (bucket) {
      buckets.delete(id);
      const elapsed = Math.max(0, now - bucket.updatedAt);
      bucket.tokens = Math.min(burst, bucket.tokens + (elapsed * ratePerSecond) / 1000);
      bucket.updatedAt = Math.max(bucket.updatedAt, now);
    } else {
      bucket = { tokens: burst, updatedAt: now, lastUsed: now };
      while (buckets.size >= maxBuckets) buckets.delete(buckets.keys().next().value as string);
    }
    bucket.lastUsed = Math.max(bucket.lastUsed, now);
    buckets.set(id, bucket);

    // EPSILON absorbs binary floating-point noise from fractional refills (0.999 + 0.001 ≠ 1).
    const allowed = bucket.tokens + EPSILON >= cost;
    if (allowed) bucket.tokens = Math.max(0, bucket.tokens - cost);
    const msFor = (tokens: number) => Math.max(0, Math.ceil((tokens * 1000) / ratePerSecond - EPSILON));
    return {
      allowed,
      remaining: Math.floor(bucket.tokens + EPSILON),
      limit: burst,
      resetMs: msFor(burst - bucket.tokens),
      retryAfterMs: allowed ? 0 : msFor(cost - bucket.tokens),
    };
  };

  return {
    take,
    consume(key, cost, now) {
      const result = take(key, cost, now);
      if (!result.allowed) throw rateLimitExceeded(result);
      return result;
    },
    size: () => buckets.size,
  };
}
