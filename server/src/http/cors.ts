import type http from "node:http";
import type http2 from "node:http2";
import { cors } from "@connectrpc/connect";
import type { RequestHandler } from "./listen.js";

/** Methods browsers may use: POST for every protocol, GET for Connect unary GET requests (connect's list). */
export const CORS_ALLOWED_METHODS: readonly string[] = [...cors.allowedMethods];

/** Request headers browsers may send: every header connect's protocols use, and Vellum's auth, tracing and idempotency headers. */
export const CORS_ALLOWED_HEADERS: readonly string[] = lowerUnique([
  ...cors.allowedHeaders,
  "authorization",
  "x-api-key",
  "x-request-id",
  "idempotency-key",
]);

/**
 * Response headers browser code may read: connect's list (gRPC-Web status, sent as headers in
 * trailers-only responses; error details; encodings), the request id, and the rate-limit headers.
 */
export const CORS_EXPOSED_HEADERS: readonly string[] = lowerUnique([
  ...cors.exposedHeaders,
  "x-request-id",
  "x-ratelimit-limit",
  "x-ratelimit-remaining",
  "x-ratelimit-reset",
  "retry-after",
]);

function lowerUnique(names: readonly string[]): string[] {
  return [...new Set(names.map((n) => n.toLowerCase()))];
}

export interface CorsOptions {
  /** Exact origins ("https://app.example.com", scheme://host[:port], no path), or "*" for any. */
  allowedOrigins: readonly string[] | "*";
  /** How long browsers may cache a preflight answer, in seconds. Default 7200. */
  maxAgeSeconds?: number;
}

type Req = http.IncomingMessage | http2.Http2ServerRequest;
type Res = http.ServerResponse | http2.Http2ServerResponse;

/**
 * Wraps a request handler with CORS for browser clients (connect-web's Connect and gRPC-Web
 * transports). Requests without an Origin header (gRPC, server-to-server) pass through untouched.
 * A preflight (OPTIONS with Access-Control-Request-Method) is answered here: 204 with the allowed
 * methods and headers for an allowed origin, 403 without CORS headers otherwise. Other requests
 * from an allowed origin get Access-Control-Allow-Origin and Access-Control-Expose-Headers; a
 * disallowed origin's request is still served (CORS is enforced by the browser, not the server)
 * but without the headers, so the browser withholds the response. No credentials mode: browser
 * code sends `authorization`/`x-api-key` explicitly.
 *
 * @throws TypeError when an entry of allowedOrigins is not a bare origin.
 */
export function withCors(handler: RequestHandler, options: CorsOptions): RequestHandler {
  const any = options.allowedOrigins === "*";
  const origins = new Set(any ? [] : checkOrigins(options.allowedOrigins as readonly string[]));
  const maxAge = String(options.maxAgeSeconds ?? 7200);
  const allowMethods = CORS_ALLOWED_METHODS.join(", ");
  const allowHeaders = CORS_ALLOWED_HEADERS.join(", ");
  const exposeHeaders = CORS_EXPOSED_HEADERS.join(", ");

  return (req: Req, res: Res) => {
    const origin = single(req.headers.origin);
    if (origin === undefined) return handler(req, res);
    const allowed = any || origins.has(origin);
    if (!any) res.setHeader("vary", "Origin");
    if (req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined) {
      if (!allowed) {
        res.statusCode = 403;
        res.end();
        return;
      }
      res.setHeader("access-control-allow-origin", any ? "*" : origin);
      res.setHeader("access-control-allow-methods", allowMethods);
      res.setHeader("access-control-allow-headers", allowHeaders);
      res.setHeader("access-control-max-age", maxAge);
      res.statusCode = 204;
      res.end();
      return;
    }
    if (allowed) {
      res.setHeader("access-control-allow-origin", any ? "*" : origin);
      res.setHeader("access-control-expose-headers", exposeHeaders);
    }
    handler(req, res);
  };
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function checkOrigins(list: readonly string[]): string[] {
  return list.map((o) => {
    let parsed: URL | undefined;
    try {
      parsed = new URL(o);
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.origin === "null" || parsed.origin !== o) {
      throw new TypeError(`CORS origin must be a bare origin like https://app.example.com, got ${JSON.stringify(o)}`);
    }
    return o;
  });
}
