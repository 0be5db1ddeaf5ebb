import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { raceAbort } from "../lib/abort.js";

/** Server-side deadline rules, in ms (VELLUM_DEFAULT_TIMEOUT_MS, VELLUM_MAX_TIMEOUT_MS). */
export interface DeadlineLimits {
  defaultTimeoutMs: number;
  maxTimeoutMs: number;
}

/**
 * The longest client deadline the protocol layer may accept (the largest Node timer delay, about
 * 24.8 days). Longer ones are still refused with INVALID_ARGUMENT; anything up to it is accepted
 * and then capped by `createDeadlineInterceptor`.
 */
export const PROTOCOL_MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Headers by which gRPC / gRPC-Web and Connect clients send their deadline. */
const TIMEOUT_HEADERS = ["grpc-timeout", "connect-timeout-ms"];

/**
 * Applies server-side deadlines. The handler sees them through `ctx.signal`, which aborts with a
 * DEADLINE_EXCEEDED ConnectError when the deadline passes:
 * - a unary RPC whose client sent no deadline (no grpc-timeout / connect-timeout-ms) gets
 *   `defaultTimeoutMs`, and ends with DEADLINE_EXCEEDED at that deadline even if the work in
 *   progress ignores the signal;
 * - streaming RPCs (UploadSnapshot, UploadChunks, DownloadSnapshot, WatchJob, ExportAuditEvents,
 *   Health.Watch) get no default: their length follows the bytes moved or is open-ended by design,
 *   and a minutes-long default would cut a multi-GiB transfer. Clients bound them with a deadline;
 * - a client deadline longer than `maxTimeoutMs` is cut to `maxTimeoutMs` (every kind of RPC).
 * The client's own, shorter deadline keeps applying through the protocol layer's signal.
 */
export function createDeadlineInterceptor(limits: DeadlineLimits): Interceptor {
  return (next) => async (req) => {
    const clientDeadline = TIMEOUT_HEADERS.some((h) => req.header.has(h));
    const ms = clientDeadline ? limits.maxTimeoutMs : req.stream ? undefined : limits.defaultTimeoutMs;
    if (ms === undefined) return next(req);
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded)), ms);
    // The protocol layer aborts req.signal when the call ends, however it ends: that stops the timer.
    req.signal.addEventListener("abort", () => clearTimeout(timer), { once: true });
    const signal = AbortSignal.any([req.signal, deadline.signal]);
    if (req.stream) return next({ ...req, signal });
    try {
      return await raceAbort(next({ ...req, signal }), deadline.signal);
    } finally {
      clearTimeout(timer);
    }
  };
}
