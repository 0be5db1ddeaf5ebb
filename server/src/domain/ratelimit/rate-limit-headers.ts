import type { RateLimitResult } from "./rate-limiter.js";

/**
 * Response headers for a rate-limit decision, in the style of seed 002:
 * - `x-ratelimit-limit`: the bucket's burst;
 * - `x-ratelimit-remaining`: whole tokens left;
 * - `x-ratelimit-reset`: unix time in seconds (rounded up) when the bucket is full again;
 * - `retry-after`: only on denial, whole seconds to wait (rounded up, at least 1).
 * Names are lowercase (HTTP/2 and gRPC metadata require it).
 *
 * @param nowMs the epoch milliseconds the decision was made at (the same `now` given to `take`).
 */
export function rateLimitHeaders(result: RateLimitResult, nowMs: number): Record<string, string> {
  const headers: Record<string, string> = {
    "x-ratelimit-limit": String(result.limit),
    "x-ratelimit-remaining": String(result.remaining),
    "x-ratelimit-reset": String(Math.ceil((nowMs + result.resetMs) / 1000)),
  };
  if (!result.allowed) headers["retry-after"] = String(Math.max(1, Math.ceil(result.retryAfterMs / 1000)));
  return headers;
}
