import type http from "node:http";
import type http2 from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import type { RateLimiter } from "../domain/ratelimit/rate-limiter.js";
import { parseShareDownloadPath, SHARE_ROUTE_PREFIX } from "../domain/share/share-link.js";
import type { ShareUseCases } from "../domain/share/share-use-cases.js";
import type { SnapshotUseCases } from "../domain/snapshots/service.js";
import type { Logger } from "../lib/logger.js";
import type { RouteMeter } from "../observability/metrics.js";
import { toConnectError } from "../rpc/errors.js";
import { requestIdFrom } from "../rpc/request-gate.js";
import { chargeShareUse } from "../rpc/share-service.js";
import { decideRange } from "./byte-range.js";
import type { RequestHandler } from "./listen.js";

type Req = http.IncomingMessage | http2.Http2ServerRequest;
type Res = http.ServerResponse | http2.Http2ServerResponse;

export interface ShareDownloadDeps {
  shares: ShareUseCases;
  snapshots: Pick<SnapshotUseCases, "openRange">;
  limiter: RateLimiter;
  log: Logger;
  /** The client address of a request (the TCP peer, or the client named by a trusted proxy). */
  clientAddress: (req: Req) => string;
  now?: () => number;
  /** Counts the content bytes written (the metrics); absent when metrics are off. */
  meter?: RouteMeter;
}

const STATUS: Partial<Record<Code, number>> = {
  [Code.InvalidArgument]: 400,
  [Code.Unauthenticated]: 401,
  [Code.PermissionDenied]: 403,
  [Code.NotFound]: 404,
  [Code.FailedPrecondition]: 410,
  [Code.OutOfRange]: 416,
  [Code.ResourceExhausted]: 429,
  [Code.Unavailable]: 503,
};

/**
 * Serves `GET|HEAD /v1/share/<token>/download` (the signed URL of a DOWNLOAD share link) and hands
 * every other request to `next` (the Connect/gRPC handler). The token is the only credential: it
 * is verified (signature, expiry, the client address from `deps.clientAddress`, revocation), each use is rate
 * limited per share and audited (`share.download`), and content is streamed through the snapshot
 * use-cases, so every byte is verified against its hash. Supports single byte ranges (206 with
 * Content-Range, 416 for malformed or unsatisfiable ranges, If-Range), Accept-Ranges,
 * Content-Length and a strong ETag (the content's SHA-256). Errors are JSON
 * `{ "code", "message", "request_id" }` (codes spelled as in Connect, e.g. "permission_denied") with 401/403/404/410/429 statuses.
 */
export function withShareDownloads(next: RequestHandler, deps: ShareDownloadDeps): RequestHandler {
  return (req, res) => {
    if (!(req.url ?? "").startsWith(SHARE_ROUTE_PREFIX)) return next(req, res);
    serveShareDownload(req, res, deps).catch((err) => {
      deps.log.error("share download failed", { err });
      res.destroy();
    });
  };
}

async function serveShareDownload(req: Req, response: Res, deps: ShareDownloadDeps): Promise<void> {
  // Both response types implement this API; the union's overloads just do not unify.
  const res = response as http.ServerResponse;
  const requestId = requestIdFrom(single(req.headers["x-request-id"]));
  const headers: Record<string, string> = { "x-request-id": requestId, "cache-control": "private, no-store" };
  const fail = (err: unknown) => {
    const { error, internal } = toConnectError(err);
    if (internal) deps.log.error("share download failed", { requestId, err });
    else deps.log.info("share download rejected", { requestId, code: Code[error.code], msg: error.rawMessage });
    error.metadata.forEach((v, k) => {
      if (k === "retry-after" || k.startsWith("x-ratelimit-")) headers[k] = v;
    });
    const code = Code[error.code].replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase(); // as Connect spells codes
    const body = JSON.stringify({ code, message: internal ? "internal error" : error.rawMessage, request_id: requestId });
    res.writeHead(STATUS[error.code] ?? 500, { ...headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) });
    if (req.method === "HEAD") res.end();
    else res.end(body);
  };

  const method = req.method ?? "GET";
  if (method !== "GET" && method !== "HEAD") {
    headers.allow = "GET, HEAD";
    res.writeHead(405, headers);
    res.end();
    return;
  }
  const token = parseShareDownloadPath(req.url ?? "");
  if (token === undefined) return fail(new ConnectError("no such share route", Code.NotFound));

  const abort = new AbortController();
  res.once("close", () => abort.abort());
  let opened;
  let status = 200;
  try {
    const now = deps.now ?? Date.now;
    const rangeHeader = single(req.headers.range);
    const { snapshot } = await deps.shares.use(token, {
      access: "DOWNLOAD",
      clientIp: deps.clientAddress(req),
      requestId,
      action: "share.download",
      detail: { method, range: rangeHeader ?? "" },
      admit: ({ shareId, storeId }) => Object.assign(headers, chargeShareUse(deps.limiter, now(), shareId, storeId)),
    });
    const etag = `"${snapshot.sha256}"`;
    Object.assign(headers, {
      "accept-ranges": "bytes",
      etag,
      "last-modified": snapshot.createTime.toUTCString(),
      "content-type": snapshot.snapshotType === "JSON" ? "application/json" : "application/octet-stream",
      "content-disposition": `attachment; filename="${snapshot.id}"`,
      "x-content-type-options": "nosniff",
    });
    const ifRange = single(req.headers["if-range"]);
    const decision = decideRange(rangeHeader, snapshot.size, ifRange === undefined || ifRange === etag);
    if (decision.kind === "unsatisfiable") {
      res.writeHead(416, { ...headers, "content-range": `bytes */${snapshot.size}`, "content-length": "0" });
      res.end();
      return;
    }
    const [offset, length] = decision.kind === "partial" ? [decision.start, decision.end - decision.start + 1] : [0, snapshot.size];
    opened = await deps.snapshots.openRange(snapshot.storeId, snapshot.id, offset, length, snapshot);
    headers["content-length"] = String(opened.range.length);
    if (decision.kind === "partial") {
      status = 206;
      headers["content-range"] = `bytes ${decision.start}-${decision.end}/${snapshot.size}`;
    }
  } catch (err) {
    return fail(err);
  }

  res.writeHead(status, headers);
  if (method === "HEAD" || opened.range.length === 0) {
    res.end();
    return;
  }
  try {
    for await (const chunk of opened.stream(abort.signal)) {
      if (abort.signal.aborted) return;
      const flowing = res.write(chunk);
      if (deps.meter) deps.meter.sentBytes += chunk.byteLength;
      if (!flowing) await drained(res, abort.signal);
    }
    res.end();
  } catch (err) {
    // Headers are out: the only honest signal left is to cut the response short.
    if (!abort.signal.aborted) deps.log.error("share download stream failed", { requestId, err });
    res.destroy();
  }
}

const single = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

function drained(res: http.ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    res.on("drain", done);
    signal.addEventListener("abort", done);
  });
}
