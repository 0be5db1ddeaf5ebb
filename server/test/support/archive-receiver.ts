/**
 * A stand-alone HTTP receiver for export tests, run as its own process (startNodeProcess). Prints
 * `ready <port>`, then one line per event:
 * - `PUT /store/<name>` keeps the body and answers 201 (401 when RECEIVER_SECRET is set and the
 *   X-Vellum-Signature does not verify); logs `put <name> <bytes> sig=<ok|bad|none>`.
 * - `GET /store/<name>` serves a kept body (404 when none).
 * - `PUT /stall/<name>` reads 64 KiB, then stops reading for STALL_MS; logs `stall-start`,
 *   `stall-closed` when it finds the sender gone, `stall-complete` if the whole body arrived.
 * - `POST /notify` logs `notify <json body>`.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const secret = process.env.RECEIVER_SECRET;
const kept = new Map<string, Buffer>();
const STALL_MS = 3000;

function verify(header: string | undefined, url: string, length: string | undefined): "ok" | "bad" | "none" {
  if (!header) return "none";
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!m || !secret) return "bad";
  const want = createHmac("sha256", secret).update(`${m[1]}.PUT.${url}.${length}`).digest();
  return timingSafeEqual(want, Buffer.from(m[2], "hex")) ? "ok" : "bad";
}

const server = createServer((req, res) => {
  const port = (server.address() as AddressInfo).port;
  const [, area, name] = new URL(req.url ?? "/", "http://x").pathname.split("/");
  if (req.method === "PUT" && area === "store") {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => {
      const body = Buffer.concat(parts);
      const sig = verify(req.headers["x-vellum-signature"] as string | undefined, `http://127.0.0.1:${port}${req.url}`, req.headers["content-length"]);
      console.log(`put ${name} ${body.length} sig=${sig}`);
      if (secret && sig !== "ok") return void res.writeHead(401).end();
      kept.set(name, body);
      res.writeHead(201).end();
    });
    return;
  }
  if (req.method === "GET" && area === "store") {
    const body = kept.get(name);
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { "content-length": String(body.length) }).end(body);
    return;
  }
  if (req.method === "PUT" && area === "stall") {
    let seen = 0;
    let stalled = false;
    console.log("stall-start");
    req.on("data", (c: Buffer) => {
      seen += c.length;
      if (seen >= 64 * 1024 && !stalled) {
        stalled = true;
        req.pause();
        // Reading again later is what reveals whether the sender went away meanwhile.
        setTimeout(() => req.resume(), STALL_MS);
      }
    });
    req.on("end", () => console.log("stall-complete"));
    req.socket.on("close", () => console.log("stall-closed"));
    return;
  }
  if (req.method === "POST" && area === "notify") {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => {
      console.log(`notify ${Buffer.concat(parts).toString("utf8")}`);
      res.writeHead(204).end();
    });
    return;
  }
  res.writeHead(404).end();
});

server.listen(0, "127.0.0.1", () => console.log(`ready ${(server.address() as AddressInfo).port}`));
