import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/**
 * Ends a client-streaming or bidi RPC whose client sends nothing for `idleMs` with
 * DEADLINE_EXCEEDED. Streaming uploads get no default deadline (deadline-interceptor.ts), so
 * without this a stalled client would hold its call, and the ingest lease that keeps reclaim away
 * from the store's newest chunks, forever. Only time spent waiting for the client counts: while
 * the server is busy and not asking for the next message, no clock runs.
 */
export function createStreamIdleInterceptor(idleMs: number): Interceptor {
  return (next) => async (req) => {
    const kind = req.method.methodKind;
    if (!req.stream || (kind !== "client_streaming" && kind !== "bidi_streaming")) return next(req);
    return next({ ...req, message: idleBounded(req.message, idleMs) });
  };
}

/** `source`, failing with DEADLINE_EXCEEDED when a message takes longer than `idleMs` to arrive. */
export async function* idleBounded<T>(source: AsyncIterable<T>, idleMs: number): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const idle = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new ConnectError(`no message arrived for ${idleMs / 1000} s: the stream was idle too long`, Code.DeadlineExceeded)),
          idleMs,
        );
      });
      let r: IteratorResult<T>;
      try {
        r = await Promise.race([it.next(), idle]);
      } finally {
        clearTimeout(timer);
      }
      if (r.done) {
        finished = true;
        return;
      }
      yield r.value;
    }
  } finally {
    // After an idle timeout a next() is still pending: ask the source to stop without waiting for it.
    if (!finished) void it.return?.()?.catch(() => undefined);
  }
}
