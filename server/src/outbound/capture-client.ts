import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { RestoreTargetService } from "../../../gen/vellum/v1/restore_target_pb.js";
import { SnapshotType } from "../../../gen/vellum/v1/snapshot_pb.js";
import { DomainError, failedPrecondition, unavailable } from "../domain/errors.js";
import type { CaptureClient, CapturedState } from "../domain/policies/ports.js";
import { SNAPSHOT_TYPES, type SnapshotType as DomainSnapshotType } from "../domain/snapshots/types.js";
import type { OutboundGuard } from "./outbound-guard.js";

export interface CaptureClientOptions {
  guard: OutboundGuard;
  /** Largest inline answer and largest content fetched from a content_url, in bytes. */
  maxBytes: number;
  /** Deadline of one CaptureCurrent call and of one content fetch; default 30 s. */
  timeoutMs?: number;
}

/** The domain type of a proto SnapshotType (same names); undefined for UNSPECIFIED or unknown values. */
const typeOf = (t: SnapshotType): DomainSnapshotType | undefined => {
  const name = SnapshotType[t] as string | undefined;
  return name && (SNAPSHOT_TYPES as readonly string[]).includes(name) ? (name as DomainSnapshotType) : undefined;
};

/** Target answers mapped to domain errors: transient trouble is UNAVAILABLE (retried), the rest fails the resource. */
function fromTarget(err: unknown): DomainError {
  if (err instanceof DomainError) return err;
  const ce = ConnectError.from(err);
  if ((ce.cause as { code?: string } | undefined)?.code === "EOUTBOUNDREFUSED") return failedPrecondition("the capture target's address is refused by the outbound guard", "OUTBOUND_ADDRESS_REFUSED");
  const message = `capture target answered ${Code[ce.code]}: ${ce.rawMessage.slice(0, 300)}`;
  return [Code.Unavailable, Code.DeadlineExceeded, Code.ResourceExhausted, Code.Aborted, Code.Internal, Code.Unknown].includes(ce.code)
    ? unavailable(message)
    : failedPrecondition(message, "CAPTURE_REFUSED");
}

/**
 * CaptureClient over the Connect protocol (HTTP/1.1), which every Connect, gRPC-Web-capable and
 * connect-node server speaks. Every connection goes through the outbound guard (checked before the
 * call and again at connect time); content URLs are fetched without following redirects.
 */
export function createCaptureClient(opts: CaptureClientOptions): CaptureClient {
  const timeoutMs = opts.timeoutMs ?? 30_000;

  function fetchContent(raw: string, signal: AbortSignal): Promise<IncomingMessage> {
    return (async () => {
      const url = new URL(raw);
      if (url.protocol !== "http:" && url.protocol !== "https:") throw failedPrecondition("content_url must be http or https", "CAPTURE_REFUSED");
      await opts.guard.checkHost(url.hostname);
      return new Promise<IncomingMessage>((resolve, reject) => {
        const req = (url.protocol === "https:" ? httpsRequest : httpRequest)(url, { lookup: opts.guard.lookup, signal, timeout: timeoutMs }, (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            const transient = (res.statusCode ?? 0) >= 500 || res.statusCode === 429;
            const msg = `content_url answered HTTP ${res.statusCode}`;
            reject(transient ? unavailable(msg) : failedPrecondition(msg, "CAPTURE_REFUSED"));
            return;
          }
          const declared = Number(res.headers["content-length"] ?? 0);
          if (declared > opts.maxBytes) {
            res.destroy();
            reject(failedPrecondition(`captured content is larger than ${opts.maxBytes} bytes`, "CAPTURE_TOO_LARGE"));
            return;
          }
          resolve(res);
        });
        req.on("timeout", () => req.destroy(unavailable("content_url timed out")));
        req.on("error", (err) => reject(err instanceof DomainError ? err : unavailable(`content_url failed: ${(err as Error).message}`)));
        req.end();
      });
    })();
  }

  async function* bounded(res: IncomingMessage): AsyncIterable<Uint8Array> {
    let total = 0;
    for await (const chunk of res as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > opts.maxBytes) {
        res.destroy();
        throw failedPrecondition(`captured content is larger than ${opts.maxBytes} bytes`, "CAPTURE_TOO_LARGE");
      }
      yield chunk;
    }
  }

  return {
    async capture(baseUrl, req, signal): Promise<CapturedState | undefined> {
      const url = new URL(baseUrl);
      await opts.guard.checkHost(url.hostname);
      const client = createClient(
        RestoreTargetService,
        createConnectTransport({ baseUrl, httpVersion: "1.1", readMaxBytes: opts.maxBytes, nodeOptions: { lookup: opts.guard.lookup } }),
      );
      let res;
      try {
        res = await client.captureCurrent({ targetResourceId: req.resourceId, resourceType: req.resourceType }, { signal, timeoutMs });
      } catch (err) {
        if (signal.aborted) throw err;
        throw fromTarget(err);
      }
      if (res.notFound) return undefined;
      const snapshotType = typeOf(res.snapshotType);
      const sha256 = res.sha256 ? res.sha256.toLowerCase() : undefined;
      if (res.content.case === "data") {
        const inline = res.content.value;
        return { snapshotType, sha256, inline, body: (async function* () { yield inline; })() };
      }
      if (res.content.case === "contentUrl") {
        const body = await fetchContent(res.content.value, signal);
        return { snapshotType, sha256, body: bounded(body) };
      }
      throw failedPrecondition("capture target answered without content (set data, content_url or not_found)", "CAPTURE_REFUSED");
    },
  };
}
