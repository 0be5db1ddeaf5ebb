import { Code, ConnectError, createConnectRouter } from "@connectrpc/connect";
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
import { isClientGone } from "./client-gone.js";

/**
 * connect-node's `connectNodeAdapter`, with one difference: a response that cannot be written
 * because the client cancelled or disconnected (a download stopped early: `write ECANCELED` on
 * HTTP/2) is logged at debug level as a client event; only other failures are logged as errors.
 * (connectNodeAdapter prints every such failure with console.error and a ConnectError stack.)
 */
export function createRpcHandler(options: ConnectNodeAdapterOptions, log: Logger) {
  const router = createConnectRouter({ acceptCompression: [compressionGzip, compressionBrotli], ...options });
  options.routes(router);
  const paths = new Map(router.handlers.map((h) => [h.requestPath, h]));
  return (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse): void => {
    const handler = paths.get(req.url?.split("?", 2)[0] ?? "");
    if (!handler) {
      (res as ServerResponse).writeHead(404);
      res.end();
      return;
    }
    const ureq = universalRequestFromNodeRequest(req, res, undefined, options.contextValues?.(req));
    handler(ureq)
      .then((ures) => universalResponseToNodeResponse(ures, res))
      .catch((reason: unknown) => {
        const method = `${handler.service.typeName}/${handler.method.name}`;
        if (clientWentAway(reason)) log.debug("client went away before the response was written", { method, reason: String(reason) });
        else log.error("writing the response failed", { method, err: reason });
      });
  };
}

function clientWentAway(reason: unknown): boolean {
  const code = ConnectError.from(reason).code;
  return code === Code.Aborted || code === Code.Canceled || isClientGone(reason);
}
