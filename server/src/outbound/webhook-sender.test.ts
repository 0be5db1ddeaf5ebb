import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createOutboundGuard, type Resolver } from "./outbound-guard.js";
import { createWebhookSender } from "./webhook-sender.js";

/** A loopback HTTP server that counts TCP connections (none may arrive from a refused send). */
async function countingServer(): Promise<{ server: Server; port: number; connections: () => number }> {
  let n = 0;
  const server = createServer((_req, res) => res.writeHead(204).end());
  server.on("connection", () => n++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, port: (server.address() as AddressInfo).port, connections: () => n };
}

const send = (sender: ReturnType<typeof createWebhookSender>, url: string) => sender.send({ url, headers: {}, body: "{}", timeoutMs: 2000 });

test("connect-time guard: a name that re-binds to loopback after registration gets 0 connections", async () => {
  const { server, port, connections } = await countingServer();
  let calls = 0;
  // First answer public (registration passes), every later one loopback: DNS rebinding.
  const rebinding: Resolver = async () => [{ address: calls++ === 0 ? "93.184.216.34" : "127.0.0.1", family: 4 }];
  const guard = createOutboundGuard({ allowHosts: [], resolve: rebinding });
  await guard.checkUrl(`http://rebind.example:${port}/hook`, "url");
  const r = await send(createWebhookSender(guard), `http://rebind.example:${port}/hook`);
  assert.is(r.responseCode, 0);
  assert.match(r.error, /^refused: .*rebind\.example/);
  assert.is(connections(), 0);
  server.close();
});

test("fuzzed private destinations: every send refused, 0 connections; an allowlisted host is reached", async () => {
  const { server, port, connections } = await countingServer();
  const resolve: Resolver = async (host) => {
    if (host === "localhost" || host.endsWith(".nip.io")) return [{ address: "127.0.0.1", family: 4 }];
    throw Object.assign(new Error("ENOTFOUND"), { code: "ENOTFOUND" });
  };
  const sender = createWebhookSender(createOutboundGuard({ allowHosts: [], resolve }));
  const forms = ["127.0.0.1", "2130706433", "0x7f.1", "0177.0.0.1", "127.1", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "localhost", "127.0.0.1.nip.io", "LOCALHOST"];
  const seeded = (i: number) => ((i * 2654435761) >>> 0) % 1000;
  for (let i = 0; i < 200; i++) {
    const host = forms[i % forms.length];
    const r = await send(sender, `http://${host}:${port}/p${seeded(i)}?q=${i}`);
    assert.is(r.responseCode, 0, host);
    assert.match(r.error, /^refused: /, host);
    assert.not.match(r.error, /\?q=|\/p\d/, "errors never carry the URL's path or query");
  }
  assert.is(connections(), 0);
  const allowed = await send(createWebhookSender(createOutboundGuard({ allowHosts: ["127.0.0.1"], resolve })), `http://127.0.0.1:${port}/hook`);
  assert.equal([allowed.responseCode, allowed.error], [204, ""]);
  assert.is(connections(), 1);
  server.close();
});

test("a 2xx whose body trickles succeeds at once; a receiver that drops the connection or stalls is a failed attempt", async () => {
  const server = createServer((req, res) => {
    if (req.url === "/trickle") {
      res.writeHead(200);
      const t = setInterval(() => res.write("x".repeat(1000)), 50);
      res.on("close", () => clearInterval(t));
    } else if (req.url === "/drop") {
      req.socket.destroy();
    } else if (req.url === "/huge") {
      res.writeHead(500);
      res.end(Buffer.alloc(4 * 1024 * 1024));
    }
    // "/stall": never answers
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sender = createWebhookSender(createOutboundGuard({ allowHosts: ["127.0.0.1"] }));
  const go = (path: string) => sender.send({ url: `${base}${path}`, headers: {}, body: "{}", timeoutMs: 500 });
  const trickle = await go("/trickle");
  assert.equal([trickle.responseCode, trickle.error], [200, ""]);
  assert.ok(trickle.latencyMs < 400, `${trickle.latencyMs} ms`);
  assert.equal(await go("/drop").then((r) => [r.responseCode, r.error]), [0, "ECONNRESET"]);
  assert.equal(await go("/huge").then((r) => [r.responseCode, r.error]), [500, "HTTP 500"]);
  const stall = await go("/stall");
  assert.equal([stall.responseCode, stall.error], [0, "timed out after 500 ms"]);
  assert.ok(stall.latencyMs >= 490 && stall.latencyMs < 1500);
  server.closeAllConnections();
  server.close();
});

test.run();
