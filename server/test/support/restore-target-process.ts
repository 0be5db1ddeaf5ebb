import { createHash } from "node:crypto";
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { createRestoreTarget } from "../../../sdk/src/node.js";

/**
 * A restore target as an owning service would write it with the SDK helper, in its own process:
 * it keeps resources in memory (id -> bytes), serves gRPC (h2c) on one port and Connect
 * (HTTP/1.1) on another, and reports what it saw on `GET /state` of the HTTP port. `PUT /seed/<id>`
 * sets a resource's current state.
 * Env: BEHAVIOR = normal | unavailable (every call answers UNAVAILABLE) | hang (no call answers);
 * APPLY_DELAY_MS (an apply takes this long before it takes effect); CAPTURE_VIA_URL=1 (CaptureCurrent
 * answers a URL on the HTTP port, `GET /content/<id>`, instead of inline bytes); AUTH_SECRET (required
 * `authorization: Bearer <secret>`). Prints "restore target ready grpc=<port> http=<port>".
 */
const behavior = process.env.BEHAVIOR ?? "normal";
const applyDelayMs = Number(process.env.APPLY_DELAY_MS ?? 0);
const secret = process.env.AUTH_SECRET ?? "";
const captureViaUrl = process.env.CAPTURE_VIA_URL === "1";
let webPort = 0;
const resources = new Map<string, Uint8Array>();
const seen = { plan: 0, apply: 0, capture: 0, effects: 0, keys: [] as string[], authorization: [] as string[] };
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function misbehave(): Promise<void> {
  if (behavior === "unavailable") throw new ConnectError("maintenance window", Code.Unavailable);
  if (behavior === "hang") await new Promise(() => {});
}

const routes = createRestoreTarget(
  {
    async plan({ targetResourceId, content }) {
      const current = resources.get(targetResourceId);
      const kind = current ? "MODIFY" : "ADD";
      return {
        summary: `${targetResourceId}: ${current ? `${current.length} -> ${content.length} bytes` : `new, ${content.length} bytes`}`,
        changes: [{ path: `/${targetResourceId}`, kind, summary: `sha256 ${current ? sha(current).slice(0, 12) : "none"} -> ${sha(content).slice(0, 12)}` }],
        warnings: current ? [] : ["the resource does not exist yet"],
      };
    },
    async apply({ targetResourceId, content, idempotencyKey }) {
      seen.keys.push(idempotencyKey);
      await sleep(applyDelayMs);
      resources.set(targetResourceId, content);
      seen.effects++;
      return { appliedDigest: sha(content) };
    },
    async capture({ targetResourceId }) {
      const current = resources.get(targetResourceId);
      if (!current) return undefined;
      if (captureViaUrl) return { contentUrl: `http://127.0.0.1:${webPort}/content/${encodeURIComponent(targetResourceId)}`, sha256: sha(current) };
      return { data: current };
    },
  },
  {
    authorize(headers) {
      seen.authorization.push(headers.get("authorization") ?? "");
      if (secret && headers.get("authorization") !== `Bearer ${secret}`) throw new ConnectError("bad credentials", Code.Unauthenticated);
    },
  },
);

// Count every call before the helper runs (a refused or failed call is still a call).
type Router = Parameters<typeof routes>[0];
const counted = (router: Router) => {
  routes({
    ...router,
    service(svc: Parameters<Router["service"]>[0], impl: unknown, opts?: Parameters<Router["service"]>[2]) {
      const wrapped = Object.fromEntries(
        Object.entries(impl as Record<string, (req: unknown, ctx: unknown) => Promise<unknown>>).map(([name, fn]) => [
          name,
          async (req: unknown, ctx: unknown) => {
            const key = name === "planRestore" ? "plan" : name === "applyRestore" ? "apply" : "capture";
            seen[key]++;
            await misbehave();
            return fn(req, ctx);
          },
        ]),
      );
      return router.service(svc, wrapped as never, opts);
    },
  } as never);
};

const handler = connectNodeAdapter({ routes: counted });
const grpc = http2.createServer(handler);
const web = http.createServer((req, res) => {
  if (req.url === "/state") {
    const body = JSON.stringify({ ...seen, resources: Object.fromEntries([...resources].map(([k, v]) => [k, sha(v)])) });
    res.writeHead(200, { "content-type": "application/json" }).end(body);
    return;
  }
  const content = /^\/content\/(.+)$/.exec(req.url ?? "");
  const held = content && resources.get(decodeURIComponent(content[1]));
  if (held) {
    res.writeHead(200, { "content-length": String(held.length) }).end(Buffer.from(held));
    return;
  }
  const seed = /^\/seed\/(.+)$/.exec(req.url ?? "");
  if (req.method === "PUT" && seed) {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => {
      resources.set(decodeURIComponent(seed[1]), new Uint8Array(Buffer.concat(parts)));
      res.writeHead(204).end();
    });
    return;
  }
  handler(req, res);
});
await new Promise<void>((r) => grpc.listen(0, "127.0.0.1", r));
await new Promise<void>((r) => web.listen(0, "127.0.0.1", r));
webPort = (web.address() as AddressInfo).port;
console.log(`restore target ready grpc=${(grpc.address() as AddressInfo).port} http=${(web.address() as AddressInfo).port}`);
process.on("SIGTERM", () => process.exit(0));
