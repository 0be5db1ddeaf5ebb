import { test } from "uvu";
import * as assert from "uvu/assert";
import { Code, VellumError } from "./errors.js";
import { DEFAULT_RETRY_OPTIONS, resolveRetryOptions, retryDelay } from "./retry-policy.js";

const err = (code: Code, retryDelayMs?: number) => new VellumError(code, "x", { retryDelayMs });
const fixed = (r: number) => resolveRetryOptions({ random: () => r });

test("only UNAVAILABLE, DEADLINE_EXCEEDED and RESOURCE_EXHAUSTED are retried by default", () => {
  const opts = fixed(0);
  for (const code of [Code.Unavailable, Code.DeadlineExceeded, Code.ResourceExhausted]) assert.type(retryDelay(opts, err(code), 1), "number");
  for (const code of [Code.NotFound, Code.InvalidArgument, Code.Internal, Code.Aborted, Code.Unknown, Code.Canceled]) {
    assert.is(retryDelay(opts, err(code), 1), undefined);
  }
});

test("backoff is initial * multiplier^(attempt-1), capped, and jitter only shortens it", () => {
  const noJitter = fixed(0);
  assert.equal([1, 2, 3].map((a) => retryDelay(noJitter, err(Code.Unavailable), a)), [100, 200, 400]);
  const maxJitter = fixed(0.999999);
  assert.equal([1, 2, 3].map((a) => retryDelay(maxJitter, err(Code.Unavailable), a)), [50, 100, 200]);
  const capped = resolveRetryOptions({ maxAttempts: 20, maxDelayMs: 1000, jitter: 0 });
  assert.is(retryDelay(capped, err(Code.Unavailable), 15), 1000);
});

test("attempts are bounded by maxAttempts", () => {
  const opts = fixed(0);
  assert.is(DEFAULT_RETRY_OPTIONS.maxAttempts, 4);
  assert.type(retryDelay(opts, err(Code.Unavailable), 3), "number");
  assert.is(retryDelay(opts, err(Code.Unavailable), 4), undefined);
});

test("a server-requested delay is used exactly, unless it exceeds maxDelayMs", () => {
  const opts = fixed(0.7);
  assert.is(retryDelay(opts, err(Code.ResourceExhausted, 2500), 1), 2500);
  assert.is(retryDelay(opts, err(Code.ResourceExhausted, 0), 1), 0);
  assert.is(retryDelay(opts, err(Code.ResourceExhausted, 10_001), 1), undefined);
});

test("invalid options are rejected", () => {
  assert.throws(() => resolveRetryOptions({ maxAttempts: 0 }), RangeError);
  assert.throws(() => resolveRetryOptions({ initialDelayMs: 500, maxDelayMs: 100 }), RangeError);
  assert.throws(() => resolveRetryOptions({ multiplier: 0.5 }), RangeError);
  assert.throws(() => resolveRetryOptions({ jitter: 2 }), RangeError);
});

test.run();
