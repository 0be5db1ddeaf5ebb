import type http from "node:http";
import type { RequestHandler } from "./listen.js";

/**
 * Answers 400 to a request that names no authority: an HTTP/1.0 request without a Host header, or
 * an HTTP/2 request without `:authority` or `host`. The RPC adapter builds each request's URL from
 * its authority and throws synchronously without one, which would take the process down.
 */
export function requireAuthority(next: RequestHandler): RequestHandler {
  return (req, res) => {
    const authority = "authority" in req ? req.authority : req.headers.host;
    if (authority) return next(req, res);
    const headers: http.OutgoingHttpHeaders = { "content-type": "text/plain" };
    if (req.httpVersionMajor === 1) headers.connection = "close";
    (res as http.ServerResponse).writeHead(400, headers);
    res.end("a Host header is required\n");
  };
}
