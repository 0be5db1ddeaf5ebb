import type http from "node:http";
import type http2 from "node:http2";
import { BlockList } from "node:net";
import { Code } from "@connectrpc/connect";
import { hasScope, type Principal } from "../domain/auth/principal.js";
import { permissionDenied } from "../domain/errors.js";
import type { Logger } from "../lib/logger.js";
import { toConnectError } from "../rpc/errors.js";
import type { RequestHandler } from "./listen.js";

type Req = http.IncomingMessage | http2.Http2ServerRequest;

/** Where Prometheus scrapes, on the API port. */
export const METRICS_PATH = "/metrics";

export interface MetricsRouteDeps {
  /** The app's registry: its exposition text and content type. */
  registry: { metrics(): Promise<string>; readonly contentType: string };
  /** The RPC authenticator: the principal of the request's API key or bearer token. */
  authenticate: (headers: Headers) => Promise<Pick<Principal, "scopes" | "stores">>;
  /** The client address of a request (the TCP peer, or the client named by a trusted proxy). */
  clientAddress: (req: Req) => string;
  log: Logger;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

const STATUS: Partial<Record<Code, number>> = {
  [Code.Unauthenticated]: 401,
  [Code.PermissionDenied]: 403,
  [Code.Unavailable]: 503,
};

/**
 * Serves `GET|HEAD /metrics` (Prometheus text format) and hands every other request to `next`.
 *
 * Access: a loopback client (127.0.0.0/8, ::1) that did not come through a proxy (the request
 * carries neither `Forwarded` nor `X-Forwarded-For`) may always scrape; anyone else needs an API
 * key or bearer token with `snapshot:admin` on every store (the metrics describe the whole
 * service, as ListAuditEvents over `*` does): 401 without or with a bad credential, 403 otherwise.
 * With VELLUM_AUTH=none a request without credentials is the local admin, as on every RPC. The
 * metrics carry no tenant data: their labels are service, method and status code only.
 */
export function withMetricsRoute(next: RequestHandler, deps: MetricsRouteDeps): RequestHandler {
  return (req, res) => {
    const url = req.url ?? "";
    if (url !== METRICS_PATH && !url.startsWith(`${METRICS_PATH}?`)) return next(req, res);
    serveMetrics(req, res as http.ServerResponse, deps).catch((err: unknown) => {
      deps.log.error("serving metrics failed", { err });
      res.destroy();
    });
  };
}

async function serveMetrics(req: Req, res: http.ServerResponse, deps: MetricsRouteDeps): Promise<void> {
  const reply = (status: number, headers: Record<string, string>, body: string) => {
    res.writeHead(status, { "cache-control": "no-store", "content-length": String(Buffer.byteLength(body)), ...headers });
    if (req.method === "HEAD") res.end();
    else res.end(body);
  };
  if (req.method !== "GET" && req.method !== "HEAD") return reply(405, { allow: "GET, HEAD", "content-type": "text/plain" }, "");
  try {
    if (!isLocal(req, deps.clientAddress)) {
      const principal = await deps.authenticate(credentialHeaders(req));
      if (!hasScope(principal, "snapshot:admin") || principal.stores !== "*") {
        throw permissionDenied("metrics require snapshot:admin on every store (or a loopback client)");
      }
    }
  } catch (err) {
    const { error, internal } = toConnectError(err);
    if (internal) deps.log.error("metrics access check failed", { err });
    const message = internal ? "internal error" : error.rawMessage;
    return reply(STATUS[error.code] ?? 500, { "content-type": "text/plain; charset=utf-8" }, `${message}\n`);
  }
  reply(200, { "content-type": deps.registry.contentType }, await deps.registry.metrics());
}

function isLocal(req: Req, clientAddress: (req: Req) => string): boolean {
  if (req.headers.forwarded !== undefined || req.headers["x-forwarded-for"] !== undefined) return false;
  const ip = clientAddress(req);
  return ip !== "" && LOOPBACK.check(ip, ip.includes(":") ? "ipv6" : "ipv4");
}

/** The credential headers only: nothing else of the request reaches the authenticator. */
function credentialHeaders(req: Req): Headers {
  const headers = new Headers();
  for (const name of ["authorization", "x-api-key"]) {
    const value = req.headers[name];
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, v);
  }
  return headers;
}
