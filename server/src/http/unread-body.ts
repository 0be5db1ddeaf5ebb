import type http from "node:http";
import type { RequestHandler } from "./listen.js";

/**
 * HTTP/1.1 guard for responses sent before the request body was read (a request rejected by the
 * request gate, an early error in a client stream, a message over the size limit). Node would
 * otherwise keep the connection alive by reading and discarding the rest of the body, which lets an
 * unauthenticated client make the server read any amount of data. Such responses instead carry
 * `Connection: close`, and the socket stops reading once the response is flushed. HTTP/2 needs
 * nothing: the stream is reset and flow control stops the client.
 */
export function closeUnreadBodies(next: RequestHandler): RequestHandler {
  return (req, res) => {
    if (req.httpVersionMajor !== 1) return next(req, res);
    const h1 = res as http.ServerResponse;
    const request = req as http.IncomingMessage;
    const writeHead = h1.writeHead;
    h1.writeHead = function (this: http.ServerResponse, ...args: Parameters<http.ServerResponse["writeHead"]>) {
      if (!request.complete) {
        h1.shouldKeepAlive = false;
        // Node drains unread bodies after the response to reuse the connection; stop reading instead.
        (request as { _dump?: () => void })._dump = () => request.socket.pause();
        h1.once("finish", () => request.socket.pause());
      }
      return writeHead.apply(this, args);
    } as typeof h1.writeHead;
    return next(req, res);
  };
}
