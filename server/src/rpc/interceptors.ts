import { Code, ConnectError, type Interceptor, type StreamResponse } from "@connectrpc/connect";
import type { Logger } from "../lib/logger.js";
import { rpcCodeKey } from "../observability/rpc-outcome.js";
import { interceptedKey, requestIdKey } from "./context.js";
import { toConnectError } from "./errors.js";
import { requestIdFrom } from "./request-gate.js";
import { noteStreamErrors, UNDECODED_MSG } from "./undecoded-requests.js";

/**
 * Outermost interceptor: assigns a request id (honouring a well-formed incoming x-request-id),
 * echoes it in response headers and trailers, and maps every error, including ones raised
 * mid-stream, through toConnectError, recording the code for the metrics (rpcCodeKey). Internal
 * errors are logged with their cause; clients only see a generic message plus the request id. A
 * streaming call whose request messages fail to arrive or decode is logged at debug level (see
 * undecoded-requests.ts).
 */
export function createObservabilityInterceptor(log: Logger): Interceptor {
  return (next) => async (request) => {
    // The request gate assigned the id already (it runs before the body is read); reuse it.
    const requestId = request.contextValues.get(requestIdKey) || requestIdFrom(request.header.get("x-request-id"));
    request.contextValues.set(requestIdKey, requestId);
    request.contextValues.set(interceptedKey, true);
    const undecoded = new WeakSet<object>();
    const req = request.stream ? { ...request, message: noteStreamErrors(request.message, undecoded) } : request;
    const fail = (err: unknown): never => {
      const { error, internal } = toConnectError(err);
      req.contextValues.set(rpcCodeKey, error.code);
      const rlog = log.child({ requestId, method: `${req.service.typeName}/${req.method.name}` });
      // A client that cancels, resets its stream or drops its connection ends the call: an event of
      // the client's, whatever the error it left behind (a premature close, a destroyed stream).
      if (undecoded.has(err as object)) rlog.debug(UNDECODED_MSG, { code: Code[error.code], detail: error.rawMessage });
      else if (endedByClient(req.signal)) rlog.debug("call ended by the client", { code: error.code, err });
      else if (internal) rlog.error("internal error", { err });
      else if (error.code === Code.Canceled) rlog.debug("request cancelled", { msg: error.rawMessage });
      else rlog.info("request failed", { code: error.code, msg: error.rawMessage });
      error.metadata.set("x-request-id", requestId);
      throw error;
    };
    try {
      const res = await next(req);
      res.header.set("x-request-id", requestId);
      if (res.stream) {
        return { ...res, message: mapStreamErrors((res as StreamResponse).message, fail) } as typeof res;
      }
      return res;
    } catch (err) {
      return fail(err);
    }
  };
}

/** Whether the transport aborted the call because the client went away (not for a deadline). */
function endedByClient(signal: AbortSignal): boolean {
  return signal.aborted && !(signal.reason instanceof ConnectError && signal.reason.code === Code.DeadlineExceeded);
}

async function* mapStreamErrors<T>(it: AsyncIterable<T>, fail: (e: unknown) => never): AsyncIterable<T> {
  try {
    yield* it;
  } catch (err) {
    fail(err);
  }
}
