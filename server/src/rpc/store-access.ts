import { GLOBAL_AUDIT_STORE } from "../domain/audit/audit-context.js";
import { canSeeStore, hiddenResource } from "../domain/auth/principal.js";
import { invalidField } from "../domain/errors.js";
import { rateLimitHeaders } from "../domain/ratelimit/rate-limit-headers.js";
import { rateLimitExceeded, type RateClass, type RateLimiter } from "../domain/ratelimit/rate-limiter.js";
import type { Caller } from "./context.js";
import { toConnectError } from "./errors.js";

/**
 * Per-call access checker installed by the access interceptor. `check(storeId)` enforces store
 * visibility and charges the rate limit (once per store per call) and returns the rate-limit
 * response headers.
 */
export interface StoreAccess {
  check(storeId: string): Record<string, string>;
  /** Charges the rate limit of a store-less call (bucket ""), without a visibility check. */
  chargeStoreless(): Record<string, string>;
}

/** True when the caller may address `storeId`; "*" (the global audit chain) needs every store. */
export const callerSeesStore = (caller: Pick<Caller, "stores">, storeId: string): boolean =>
  storeId === GLOBAL_AUDIT_STORE ? caller.stores === "*" : canSeeStore(caller, storeId);

/** Rate-limit bucket owner of a caller. */
export const rateKeyOf = (caller: Pick<Caller, "kind" | "id">): string => `${caller.kind}:${caller.id}`;

/**
 * Builds the checker for one call. Visibility first (NOT_FOUND, the same error a missing store
 * gives), then the caller's budget for (caller, store, class). A denial is RESOURCE_EXHAUSTED with
 * RetryInfo and carries the rate-limit headers (retry-after, x-ratelimit-*) as error metadata.
 */
export function createStoreAccess(caller: Caller, rateClass: RateClass, limiter: RateLimiter, now: () => number): StoreAccess {
  const charged = new Map<string, Record<string, string>>();
  const charge = (storeId: string) => {
    const done = charged.get(storeId);
    if (done) return done;
    const at = now();
    const result = limiter.take({ principalId: rateKeyOf(caller), storeId, rateClass }, 1, at);
    const headers = rateLimitHeaders(result, at);
    if (!result.allowed) {
      const { error } = toConnectError(rateLimitExceeded(result));
      for (const [k, v] of Object.entries(headers)) error.metadata.set(k, v);
      throw error;
    }
    charged.set(storeId, headers);
    return headers;
  };
  return {
    check(storeId) {
      if (storeId === "") throw invalidField("store_id", "is required");
      if (!callerSeesStore(caller, storeId)) throw hiddenResource(storeId);
      return charge(storeId);
    },
    chargeStoreless: () => charge(""),
  };
}

