import http from "node:http";
import https from "node:https";
import type { OutboundGuard } from "../outbound-guard.js";
import { checkHttpsUrl } from "./http-endpoint.js";

/** A notify_webhook POST that takes longer than this is abandoned. */
export const NOTIFY_TIMEOUT_MS = 10_000;

/**
 * Posts a JSON payload to a job's notify_webhook through the SSRF guard (connect-time address
 * check, no redirects). Best effort: returns undefined when the receiver answered 2xx, else a short
 * description of the problem (never throws, never includes the response body).
 */
export function createWebhookNotifier(guard: OutboundGuard) {
  return async (raw: string, payload: Record<string, unknown>): Promise<string | undefined> => {
    let url: URL;
    try {
      url = await checkHttpsUrl(guard, raw, "notify_webhook");
    } catch (e) {
      return e instanceof Error ? e.message : "refused";
    }
    const body = Buffer.from(JSON.stringify(payload), "utf8");
    const mod = url.protocol === "https:" ? https : http;
    return new Promise((resolve) => {
      const req = mod.request(url, {
        method: "POST",
        lookup: guard.lookup,
        timeout: NOTIFY_TIMEOUT_MS,
        headers: { "content-type": "application/json", "content-length": String(body.length) },
      });
      req.on("timeout", () => req.destroy(new Error(`no answer within ${NOTIFY_TIMEOUT_MS} ms`)));
      req.on("error", (e) => resolve(e.message));
      req.on("response", (res) => {
        res.resume();
        const ok = res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300;
        resolve(ok ? undefined : `receiver answered ${res.statusCode}`);
      });
      req.end(body);
    });
  };
}
