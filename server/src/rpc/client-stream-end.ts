import { Code, ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import { raceAbort } from "../lib/abort.js";

/**
 * Whether the client has ended its request body in an orderly way: on HTTP/2 an END_STREAM flag
 * that was read, on HTTP/1.1 a complete body. Set by the HTTP adapter (app.ts); transports that
 * have none (in-memory) keep the default, and only the call's signal tells an abort there.
 */
export const clientEndedKey = createContextKey<() => boolean>(() => true, { description: "request body ended by the client" });

/**
 * Makes the request stream of a client-streaming or bidi RPC end only at the client's orderly end.
 * connect-node reads the body of an HTTP/2 stream that the client reset (RST_STREAM) or whose
 * connection dropped as a body that simply ended, when the cut falls between two messages, so a
 * handler would take a cancelled upload for a finished one. Here every other end throws instead:
 * a cancel, reset or dropped connection with CANCELED, a deadline with DEADLINE_EXCEEDED (also
 * while a message is awaited), so handlers commit only what a client finished sending.
 */
export function createClientStreamEndInterceptor(): Interceptor {
  return (next) => async (req) => {
    const kind = req.method.methodKind;
    if (!req.stream || (kind !== "client_streaming" && kind !== "bidi_streaming")) return next(req);
    return next({ ...req, message: endedByClient(req.message, req.signal, req.contextValues.get(clientEndedKey)) });
  };
}

/** The error for a request stream cut off by `signal` (its reason when that is a ConnectError), or by the transport. */
export function cutOff(signal: AbortSignal): ConnectError {
  if (signal.reason instanceof ConnectError && signal.reason.code === Code.DeadlineExceeded) return signal.reason;
  return new ConnectError("the client ended the call before it finished sending", Code.Canceled, undefined, undefined, signal.reason);
}

/** `source`, ending normally only when the client ended the body in order (see the interceptor). */
export async function* endedByClient<T>(source: AsyncIterable<T>, signal: AbortSignal, clientEnded: () => boolean): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      if (signal.aborted) throw cutOff(signal);
      let r: IteratorResult<T>;
      const next = it.next();
      next.catch(() => undefined); // unobserved when the signal aborted while next() began
      try {
        r = await raceAbort(next, signal);
      } catch (err) {
        throw signal.aborted ? cutOff(signal) : err; // what a cut leaves behind (a premature close) is the cut
      }
      if (r.done) {
        finished = true;
        if (signal.aborted || !clientEnded()) throw cutOff(signal);
        return;
      }
      yield r.value;
    }
  } finally {
    // After an abort a next() may still be pending: ask the source to stop without waiting for it.
    if (!finished) void it.return?.()?.catch(() => undefined);
  }
}
