/**
 * A webhook receiver run as its own process by tests (startNodeProcess). It prints
 * "receiver ready <port>", records every POST it gets and verifies its Standard Webhooks signature
 * with the library's own verifier against each secret it was told about.
 *
 * Control (JSON bodies): POST /_control {mode?, failTimes?, secrets?, reset?}; GET /_received.
 * Modes: "ok" (204), "fail" (500 for the next `failTimes` requests, then 204), "gone" (410),
 * "stall" (never answers), "redirect" (302 to /elsewhere).
 */
import http from "node:http";
import { Webhook } from "standardwebhooks";

type Mode = "ok" | "fail" | "gone" | "stall" | "redirect";
/** One request the receiver got (GET /_received lists them). */
export interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  /** For each known secret (by index): whether the signature verifies with it. */
  verified: boolean[];
  status: number;
  at: number;
}

let mode: Mode = "ok";
let failTimes = 0;
let secrets: string[] = [];
const received: Received[] = [];
const stalled: http.ServerResponse[] = [];

const readBody = (req: http.IncomingMessage) =>
  new Promise<string>((resolve) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
  });

const server = http.createServer(async (req, res) => {
  const body = await readBody(req);
  if (req.url === "/_control") {
    const c = JSON.parse(body) as { mode?: Mode; failTimes?: number; secrets?: string[]; reset?: boolean };
    if (c.mode) mode = c.mode;
    if (c.failTimes !== undefined) failTimes = c.failTimes;
    if (c.secrets) secrets = c.secrets;
    if (c.reset) received.length = 0;
    if (mode !== "stall") for (const r of stalled.splice(0)) r.destroy();
    return res.writeHead(200).end("{}");
  }
  if (req.url === "/_received") return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(received));
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
  const verified = secrets.map((s) => {
    try {
      new Webhook(s).verify(body, headers);
      return true;
    } catch {
      return false;
    }
  });
  let status = 204;
  if (mode === "fail" && failTimes > 0) {
    failTimes--;
    status = 500;
  } else if (mode === "gone") status = 410;
  else if (mode === "redirect") status = 302;
  received.push({ path: req.url ?? "", headers, body, verified, status: mode === "stall" ? 0 : status, at: Date.now() });
  if (mode === "stall") return void stalled.push(res);
  res.writeHead(status, status === 302 ? { location: "/elsewhere" } : {}).end();
});

server.listen(0, "127.0.0.1", () => {
  const addr = server.address() as { port: number };
  console.log(`receiver ready ${addr.port}`);
});
