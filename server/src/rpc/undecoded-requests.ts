import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { Logger } from "../lib/logger.js";
import { rpcCodeKey } from "../observability/rpc-outcome.js";
import { interceptedKey } from "./context.js";

/** The log line of a request whose messages could not be read or decoded (debug level: a client fault). */
export const UNDECODED_MSG = "request not decoded";

/**
 * Logs, at debug level with the RPC name, a call that ends in an error before it reaches the
 * interceptors. That happens when a unary or server-streaming request cannot be read or decoded
 * (bytes that do not parse, a truncated or oversized message, a bad envelope, compression or
 * deadline header, a missing or extra message): connect reads such a message before it runs the
 * interceptors, which log every later failure. Also records the call's code for the metrics
 * (rpcCodeKey), which the interceptors would otherwise have recorded. Call from the request gate
 * once it admits the call.
 */
export function logUndecodedRequest(ctx: HandlerContext, log: Logger, fields: Record<string, unknown>): void {
  ctx.signal.addEventListener(
    "abort",
    () => {
      const reason: unknown = ctx.signal.reason;
      if (ctx.values.get(interceptedKey) || !(reason instanceof ConnectError)) return;
      ctx.values.set(rpcCodeKey, reason.code);
      log.debug(UNDECODED_MSG, { ...fields, code: Code[reason.code], detail: reason.rawMessage });
    },
    { once: true },
  );
}

/**
 * `source` (a streaming call's request messages), adding every error it raises to `seen`: such an
 * error means a message did not arrive or did not decode, a client fault the interceptor logs at
 * debug level rather than as a failed call.
 */
export async function* noteStreamErrors<T>(source: AsyncIterable<T>, seen: WeakSet<object>): AsyncGenerator<T> {
  try {
    yield* source;
  } catch (err) {
    if (typeof err === "object" && err !== null) seen.add(err);
    throw err;
  }
}
