import { Code, ConnectError, createConnectRouter, createContextValues } from "@connectrpc/connect";
import {
  compressionBrotli,
  compressionGzip,
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
  type ConnectNodeAdapterOptions,
} from "@connectrpc/connect-node";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { Logger } from "../lib/logger.js";
import type { MethodMeter } from "../observability/metrics.js";
import { rpcCodeKey } from "../observability/rpc-outcome.js";
import { isClientGone } from "./client-gone.js";

export interface RpcHandlerOptions extends ConnectNodeAdapterOptions {
  /** The meter of each RPC (called once per method when the handler is built); no metrics when absent. */
  meter?: (service: string, method: string) => MethodMeter;
}

/**
 * connect-node's `connectNodeAdapter`, with two differences: a response that cannot be written
 * because the client cancelled or disconnected (a download stopped early: `write ECANCELED` on
 * HTTP/2) is logged at debug level as a client event; only other failures are logged as errors.
 * (connectNodeAdapter prints every such failure with console.error and a ConnectError stack.)
 * And with `meter`, every call is metered here, where it completes: body bytes in and out as they
 * pass (counted, never buffered or copied), and when the response closes, its duration and its
 * status (rpcCodeKey; else OK when the response was written in full, CANCELED when it was cut short).
 */
export function createRpcHandler(options: RpcHandlerOptions, log: Logger) {
  const router = createConnectRouter({ acceptCompression: [compressionGzip, compressionBrotli], ...options });
  options.routes(router);
  const paths = new Map(
    router.handlers.map((h) => [h.requestPath, { handler: h, meter: options.meter?.(h.service.typeName, h.method.name) }]),
  );
  return (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse): void => {
    const route = paths.get(req.url?.split("?", 2)[0] ?? "");
    if (!route) {
      (res as ServerResponse).writeHead(404);
      res.end();
      return;
    }
    const { handler, meter } = route;
    const values = options.contextValues?.(req) ?? createContextValues();
    let ureq = universalRequestFromNodeRequest(req, res, undefined, values);
    if (meter) {
      const start = performance.now();
      // The response's close is the one completion event of every call: written, failed or abandoned.
      // (An HTTP/2 response reports writableFinished even when the client reset its stream, so a
      // response counts as written only when it was also ended.)
      res.once("close", () => {
        const code = values.get(rpcCodeKey) ?? (res.writableEnded && res.writableFinished ? undefined : Code.Canceled);
        meter.finished(code, (performance.now() - start) / 1000);
      });
      if (isByteStream(ureq.body)) ureq = { ...ureq, body: countReceived(ureq.body, meter) };
    }
    handler(ureq)
      .then((ures) => universalResponseToNodeResponse(meter && ures.body ? { ...ures, body: countSent(ures.body, meter) } : ures, res))
      .catch((reason: unknown) => {
        const method = `${handler.service.typeName}/${handler.method.name}`;
        if (clientWentAway(reason)) log.debug("client went away before the response was written", { method, reason: String(reason) });
        else {
          if (values.get(rpcCodeKey) === undefined) values.set(rpcCodeKey, Code.Internal);
          log.error("writing the response failed", { method, err: reason });
        }
      });
  };
}

function clientWentAway(reason: unknown): boolean {
  const code = ConnectError.from(reason).code;
  return code === Code.Aborted || code === Code.Canceled || isClientGone(reason);
}

const isByteStream = (body: unknown): body is AsyncIterable<Uint8Array> =>
  typeof body === "object" && body !== null && Symbol.asyncIterator in body;

async function* countReceived(body: AsyncIterable<Uint8Array>, meter: MethodMeter): AsyncIterable<Uint8Array> {
  for await (const chunk of body) {
    meter.receivedBytes += chunk.byteLength;
    yield chunk;
  }
}

async function* countSent(body: AsyncIterable<Uint8Array>, meter: MethodMeter): AsyncIterable<Uint8Array> {
  for await (const chunk of body) {
    meter.sentBytes += chunk.byteLength;
    yield chunk;
  }
}
