/**
 * Wraps a caller-supplied Transport: every failure becomes a VellumError, and idempotent unary
 * calls are retried with backoff.
 */
import type { DescMethodUnary } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import { toVellumError } from "./errors.js";
import { retryDelay, type RetryOptions } from "./retry-policy.js";

/**
 * A unary call may be retried when its method is declared NO_SIDE_EFFECTS or IDEMPOTENT in the
 * proto (Get*, List*), or when its request carries a non-empty `idempotency_key` (the server then
 * replays the original result). Streaming calls are never retried: their input cannot be replayed.
 */
export function isRetrySafe(method: DescMethodUnary, input: unknown): boolean {
  const level = method.idempotency;
  if (level === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS || level === MethodOptions_IdempotencyLevel.IDEMPOTENT) return true;
  const key = (input as { idempotencyKey?: unknown } | null)?.idempotencyKey;
  return typeof key === "string" && key !== "";
}

/**
 * Returns a Transport that delegates to `inner`, converts every error (from unary calls, from
 * opening a stream and from reading it) to VellumError, and, when `retry` is given, retries
 * retry-safe unary calls that fail with a retryable code. Each attempt gets the caller's full
 * timeoutMs; the caller's signal cancels both attempts and backoff waits.
 */
export function createVellumTransport(inner: Transport, retry: RetryOptions | undefined): Transport {
  return {
    async unary(method, signal, timeoutMs, header, input, contextValues) {
      const policy = retry !== undefined && isRetrySafe(method, input) ? retry : undefined;
      for (let attempt = 1; ; attempt++) {
        try {
          return await inner.unary(method, signal, timeoutMs, header, input, contextValues);
        } catch (e) {
          const error = toVellumError(e);
          if (!policy || signal?.aborted) throw error;
          const delayMs = retryDelay(policy, error, attempt);
          if (delayMs === undefined) throw error;
          policy.onRetry?.({ method: `${method.parent.typeName}/${method.name}`, attempt, delayMs, error });
          await sleep(delayMs, signal);
        }
      }
    },
    async stream(method, signal, timeoutMs, header, input, contextValues) {
      try {
        const res = await inner.stream(method, signal, timeoutMs, header, input, contextValues);
        return { ...res, message: mapErrors(res.message) };
      } catch (e) {
        throw toVellumError(e);
      }
    },
  };
}

async function* mapErrors<T>(it: AsyncIterable<T>): AsyncIterable<T> {
  try {
    yield* it;
  } catch (e) {
    throw toVellumError(e);
  }
}

/** Waits `ms`; rejects with a CANCELLED VellumError as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const cancelled = () => toVellumError(new ConnectError("cancelled while waiting to retry", Code.Canceled));
    if (signal?.aborted) return reject(cancelled());
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
