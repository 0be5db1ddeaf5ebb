import { createHmac } from "node:crypto";
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { failedPrecondition, invalidField, isDomainError, unavailable } from "../../domain/errors.js";
import { SNAPSHOT_TYPES } from "../../domain/snapshots/types.js";
import type { ArchiveSink, ArchiveSource } from "../../domain/transfer/ports.js";
import type { OutboundGuard } from "../outbound-guard.js";

/** A transfer whose socket sees no bytes for this long fails (UNAVAILABLE, retried): a stalled receiver or sender cannot hold a job. */
export const TRANSFER_IDLE_TIMEOUT_MS = 60_000;
/** Share link downloads: `/v1/share/<token>/download` (the token is a credential and never leaves this module). */
const SHARE_PATH_RE = /^\/v1\/share\/[A-Za-z0-9._-]+\/download$/;

export const SIGNATURE_HEADER = "x-vellum-signature";

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.PUT.<url>.<content-length>")>` (docs/export-format.md). */
export function signPut(secret: Uint8Array, url: string, contentLength: number, now = new Date()): string {
  const t = Math.floor(now.getTime() / 1000);
  const mac = createHmac("sha256", secret).update(`${t}.PUT.${url}.${contentLength}`).digest("hex");
  return `t=${t},v1=${mac}`;
}

/** The SSRF guard's registration check, plus: plain http only for hosts in VELLUM_OUTBOUND_ALLOW_HOSTS. */
export async function checkHttpsUrl(guard: OutboundGuard, raw: string, field: string): Promise<URL> {
  const url = await guard.checkUrl(raw, field);
  if (url.protocol === "http:" && !guard.allowsHost(url.hostname)) throw invalidField(field, "must use https");
  return url;
}

/** The URL without query string, fragment or credentials: what results, logs and lineage may show. */
const withoutSecrets = (u: URL): string => `${u.protocol}//${u.host}${u.pathname}`;

function statusError(status: number, what: string) {
  if (status >= 300 && status < 400) return failedPrecondition(`${what} answered a redirect (${status}); redirects are not followed`, "TRANSFER_REFUSED");
  if (status === 408 || status === 429 || status >= 500) return unavailable(`${what} answered ${status}`);
  return failedPrecondition(`${what} answered ${status}`, "TRANSFER_REFUSED");
}

/**
 * `https` export destinations (one signed PUT of the archive) and import sources (GET; a Vellum
 * share link's content is taken as is). Every connection resolves its host through the SSRF guard,
 * so a name that re-binds to a private address is refused at connect time; plain `http` is allowed
 * only for hosts in VELLUM_OUTBOUND_ALLOW_HOSTS. Redirects are never followed.
 */
export function createHttpEndpoint(opts: { guard: OutboundGuard }) {
  const { guard } = opts;
  const check = (raw: string, field: string) => checkHttpsUrl(guard, raw, field);

  function request(url: URL, method: string, headers: Record<string, string>, signal: AbortSignal): http.ClientRequest {
    const mod = url.protocol === "https:" ? https : http;
    const req = mod.request(url, { method, headers, lookup: guard.lookup, signal, timeout: TRANSFER_IDLE_TIMEOUT_MS });
    req.on("timeout", () => req.destroy(unavailable(`${withoutSecrets(url)} stalled for ${TRANSFER_IDLE_TIMEOUT_MS} ms`)));
    return req;
  }

  const responseOf = (req: http.ClientRequest) => new Promise<IncomingMessage>((resolve, reject) => req.once("response", resolve).once("error", reject));

  /** Connection-level failures: a refused address stays refused (FAILED_PRECONDITION); the rest is retried. */
  function translate(e: unknown, what: string, signal: AbortSignal): unknown {
    if (signal.aborted) return signal.reason;
    if (isDomainError(e)) return e;
    if ((e as NodeJS.ErrnoException).code === "EOUTBOUNDREFUSED") return failedPrecondition((e as Error).message, "OUTBOUND_ADDRESS_REFUSED");
    return unavailable(`transfer to or from ${what} failed`, e);
  }

  return {
    async destination(raw: string, field: string, signingSecret?: Uint8Array): Promise<ArchiveSink> {
      const url = await check(raw, field);
      const location = withoutSecrets(url);
      return {
        location,
        async write(archive, _info, signal) {
          const headers: Record<string, string> = { "content-type": "application/x-tar", "content-length": String(archive.size) };
          if (signingSecret) headers[SIGNATURE_HEADER] = signPut(signingSecret, url.href, archive.size);
          const req = request(url, "PUT", headers, signal);
          const answered = responseOf(req);
          answered.catch(() => undefined);
          try {
            await pipeline(Readable.from(archive.body), req);
            const res = await answered;
            res.resume();
            if (res.statusCode === undefined || res.statusCode < 200 || res.statusCode >= 300) throw statusError(res.statusCode ?? 0, location);
          } catch (e) {
            req.destroy();
            throw translate(e, location, signal);
          }
        },
      };
    },

    async source(raw: string, field: string): Promise<ArchiveSource> {
      const url = await check(raw, field);
      const share = SHARE_PATH_RE.test(url.pathname);
      const location = share ? `${url.protocol}//${url.host}/v1/share/…/download` : withoutSecrets(url);
      return {
        location,
        async open(signal) {
          const req = request(url, "GET", {}, signal);
          req.end();
          let res: IncomingMessage;
          try {
            res = await responseOf(req);
          } catch (e) {
            req.destroy();
            throw translate(e, location, signal);
          }
          if (res.statusCode !== 200) {
            res.destroy();
            throw statusError(res.statusCode ?? 0, location);
          }
          const body = (async function* () {
            try {
              for await (const c of res) yield c as Uint8Array;
            } catch (e) {
              throw translate(e, location, signal);
            } finally {
              res.destroy();
            }
          })();
          const close = () => res.destroy();
          if (!share) return { kind: "archive", body, close };
          const sha256 = /^"([0-9a-f]{64})"$/.exec(res.headers.etag ?? "")?.[1];
          const size = Number(res.headers["content-length"]);
          const snapshotId = /filename="([0-9a-f-]{36})"/.exec(res.headers["content-disposition"] ?? "")?.[1];
          if (!sha256 || !Number.isSafeInteger(size) || !snapshotId) {
            res.destroy();
            throw failedPrecondition(`${location} is not a Vellum share download (no digest, size or snapshot id)`, "TRANSFER_REFUSED");
          }
          const snapshotType = res.headers["content-type"] === "application/json" ? "JSON" : "BLOB";
          return { kind: "share", body, close, sha256, size, snapshotType: SNAPSHOT_TYPES.includes(snapshotType) ? snapshotType : "BLOB", snapshotId };
        },
      };
    },
  };
}
