import http from "node:http";
import https from "node:https";
import { failedPrecondition, isDomainError, unavailable } from "../domain/errors.js";
import type { OutboundGuard } from "./outbound-guard.js";

/**
 * GETs `raw` through the outbound guard (checked URL, guarded lookup at connect time, no
 * redirects) and yields the body, refusing more than `maxBytes`. A non-200 answer or a refused
 * address is FAILED_PRECONDITION; a connection failure is UNAVAILABLE.
 */
export async function* guardedGet(guard: Pick<OutboundGuard, "checkUrl" | "lookup">, raw: string, opts: { signal: AbortSignal; maxBytes: number; timeoutMs: number }): AsyncGenerator<Uint8Array> {
  let url: URL;
  try {
    url = await guard.checkUrl(raw, "content_url");
  } catch (err) {
    throw failedPrecondition(`capture content_url refused: ${isDomainError(err) ? err.message : "bad URL"}`, "OUTBOUND_ADDRESS_REFUSED");
  }
  const get = url.protocol === "https:" ? https.get : http.get;
  const signal = AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]);
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = get(url, { lookup: guard.lookup, signal }, resolve);
    req.once("error", (err) => reject(opts.signal.aborted ? opts.signal.reason : unavailable(`capture content_url: ${(err as NodeJS.ErrnoException).code ?? "connection failed"}`)));
  });
  if (res.statusCode !== 200) {
    res.resume();
    throw failedPrecondition(`capture content_url answered HTTP ${res.statusCode}`, "CAPTURE_FETCH_FAILED");
  }
  let total = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > opts.maxBytes) throw failedPrecondition(`captured state is larger than ${opts.maxBytes} bytes`, "CAPTURE_TOO_LARGE");
      yield chunk;
    }
  } catch (err) {
    if (isDomainError(err)) throw err;
    throw opts.signal.aborted ? opts.signal.reason : unavailable("capture content_url: the download broke off");
  } finally {
    res.destroy();
  }
}
