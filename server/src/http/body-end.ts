import type http from "node:http";
import type http2 from "node:http2";

/**
 * Tells, when asked, whether the client ended the request body in an orderly way. On HTTP/2 that is
 * an END_STREAM flag the server has read: Node's compatibility request also ends its body when the
 * stream is reset or its connection drops, but the underlying stream then never emits 'end'. On
 * HTTP/1.1 it is a complete body (an aborted one fails instead of ending).
 */
export function bodyEndedByClient(req: http.IncomingMessage | http2.Http2ServerRequest): () => boolean {
  if ("stream" in req) return () => req.stream.readableEnded;
  return () => req.complete;
}
