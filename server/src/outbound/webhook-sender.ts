import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import type { AttemptResult, WebhookSender } from "../domain/webhooks/dispatch-ports.js";
import type { OutboundGuard } from "./outbound-guard.js";

/** Response body bytes read (and discarded) before the connection is cut. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * WebhookSender over node:http(s): one POST per attempt on a fresh connection (no agent pooling, so
 * every attempt passes the guard's connect-time check: literal addresses through `checkHost`, names
 * through its `lookup`, which refuses a rebound private address). Redirects are not followed (a
 * 3xx is a failed attempt). The attempt (connect, send, response status) is bounded by
 * `timeoutMs`; the response body is then drained for at most as long again and MAX_RESPONSE_BYTES. Errors carry the failure kind, never the URL's path, query or credentials.
 */
export function createWebhookSender(guard: OutboundGuard): WebhookSender {
  return {
    async send({ url, headers, body, timeoutMs }) {
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      const target = new URL(url);
      const host = target.hostname.replace(/^\[|\]$/g, "");
      if (isIP(host)) {
        try {
          await guard.checkHost(host);
        } catch (err) {
          return { responseCode: 0, latencyMs: elapsed(), error: `refused: ${err instanceof Error ? err.message : String(err)}` };
        }
      }
      return new Promise<AttemptResult>((resolve) => {
        let settled = false;
        const finish = (r: Omit<AttemptResult, "latencyMs">) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ ...r, latencyMs: elapsed() });
        };
        const client = target.protocol === "https:" ? https : http;
        const req = client.request(
          target,
          { method: "POST", headers: { ...headers, "content-length": String(Buffer.byteLength(body)) }, lookup: guard.lookup, agent: false },
          (res) => {
            // The status decides the attempt; the body is drained (up to a cap) and the connection
            // closed, without keeping the attempt waiting on a slow body.
            const code = res.statusCode ?? 0;
            finish({ responseCode: code, error: code >= 200 && code < 300 ? "" : `HTTP ${code}` });
            const cut = setTimeout(() => req.destroy(), timeoutMs);
            let read = 0;
            res.on("data", (chunk: Buffer) => {
              read += chunk.length;
              if (read > MAX_RESPONSE_BYTES) req.destroy();
            });
            res.on("close", () => clearTimeout(cut));
            res.on("error", () => undefined);
          },
        );
        const timer = setTimeout(() => {
          finish({ responseCode: 0, error: `timed out after ${timeoutMs} ms` });
          req.destroy();
        }, timeoutMs);
        req.on("error", (err: NodeJS.ErrnoException) => {
          const kind = err.code === "EOUTBOUNDREFUSED" ? `refused: ${err.message}` : (err.code ?? "connection failed");
          finish({ responseCode: 0, error: kind });
        });
        req.end(body);
      });
    },
  };
}
