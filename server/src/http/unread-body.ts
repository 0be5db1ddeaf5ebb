import type http from "node:http";
import type { RequestHandler } from "./listen.js";

/**
 * HTTP/1.1 guard for responses sent before the request body was read (a request rejected by the
 * request gate, an early error in a client stream, a message over the size limit). Node keeps such
 * a connection alive by reading and discarding the rest of the body, or leaves it hanging half-read;
 * either way an unauthenticated client could make the server read or hold on to an unbounded body.
 * These responses carry `Connection: close` instead, and Node destroys the socket as soon as the
 * response is flushed (measured: about 200 KiB of a 64 MiB body is read). HTTP/2 needs nothing here:
 * the stream ends and flow control stops the client.
 */
export function closeUnreadBodies(next: RequestHandler): RequestHandler {
  return (req, res) => {
    if (req.httpVersionMajor !== 1) return next(req, res);
    const h1 = res as http.ServerResponse;
    const request = req as http.IncomingMessage;
    const writeHead = h1.writeHead;
    h1.writeHead = function (this: http.ServerResponse, ...args: Parameters<http.ServerResponse["writeHead"]>) {
      if (!request.complete) h1.shouldKeepAlive = false;
      return writeHead.apply(this, args);
    } as typeof h1.writeHead;
    return next(req, res);
  };
}
