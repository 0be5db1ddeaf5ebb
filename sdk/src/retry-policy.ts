/**
 * When and how long to wait before retrying a failed call. Pure: no timers, no I/O.
 */
import { Code } from "@connectrpc/connect";
import type { VellumError } from "./errors.js";

export interface RetryEvent {
  /** Fully qualified method, e.g. "vellum.v1.SnapshotService/GetSnapshot". */
  method: string;
  /** The attempt that just failed, 1-based. */
  attempt: number;
  /** How long the SDK waits before the next attempt. */
  delayMs: number;
  /** The failure of that attempt. */
  error: VellumError;
}

export interface RetryOptions {
  /** Total attempts including the first; 1 disables retries. Default 4. */
  maxAttempts: number;
  /** Backoff before the first retry, before jitter. Default 100 ms. */
  initialDelayMs: number;
  /** Cap on any single backoff. A server-requested delay above it ends retrying. Default 10 s. */
  maxDelayMs: number;
  /** Growth factor of the backoff per attempt. Default 2. */
  multiplier: number;
  /**
   * Fraction of each backoff that is randomized: the wait is drawn uniformly from
   * [backoff * (1 - jitter), backoff]. 0 means no jitter. Default 0.5.
   */
  jitter: number;
  /** Status codes worth retrying. Default UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED. */
  retryableCodes: readonly Code[];
  /** Called before each wait; for logging and metrics. */
  onRetry?: (event: RetryEvent) => void;
  /** Source of randomness in [0, 1); Math.random by default. */
  random?: () => number;
}

export const DEFAULT_RETRY_OPTIONS: Readonly<RetryOptions> = Object.freeze({
  maxAttempts: 4,
  initialDelayMs: 100,
  maxDelayMs: 10_000,
  multiplier: 2,
  jitter: 0.5,
  retryableCodes: Object.freeze([Code.Unavailable, Code.DeadlineExceeded, Code.ResourceExhausted]),
});

/** Fills defaults and rejects nonsensical values (RangeError). */
export function resolveRetryOptions(opts: Partial<RetryOptions> = {}): RetryOptions {
  const r = { ...DEFAULT_RETRY_OPTIONS, ...opts };
  if (!Number.isInteger(r.maxAttempts) || r.maxAttempts < 1) throw new RangeError("retry.maxAttempts must be an integer >= 1");
  if (!(r.initialDelayMs >= 0) || !(r.maxDelayMs >= r.initialDelayMs)) {
    throw new RangeError("retry delays must satisfy 0 <= initialDelayMs <= maxDelayMs");
  }
  if (!(r.multiplier >= 1)) throw new RangeError("retry.multiplier must be >= 1");
  if (!(r.jitter >= 0 && r.jitter <= 1)) throw new RangeError("retry.jitter must be in [0, 1]");
  return r;
}

/**
 * The wait before the next attempt after `attempt` (1-based) failed with `error`, or undefined
 * when the call must not be retried: the code is not retryable, attempts are used up, or the server
 * asked for a longer wait than maxDelayMs. A server-requested delay (RetryInfo / retry-after) is
 * used exactly, without jitter; otherwise exponential backoff with jitter.
 */
export function retryDelay(opts: RetryOptions, error: VellumError, attempt: number): number | undefined {
  if (attempt >= opts.maxAttempts || !opts.retryableCodes.includes(error.code)) return undefined;
  if (error.retryDelayMs !== undefined) return error.retryDelayMs <= opts.maxDelayMs ? error.retryDelayMs : undefined;
  const backoff = Math.min(opts.maxDelayMs, opts.initialDelayMs * opts.multiplier ** (attempt - 1));
  const random = opts.random ?? Math.random;
  return Math.round(backoff * (1 - opts.jitter * random()));
}
