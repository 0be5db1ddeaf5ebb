import http from "node:http";
import http2 from "node:http2";
import type net from "node:net";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { cors } from "@connectrpc/connect";
import { CORS_ALLOWED_HEADERS, CORS_EXPOSED_HEADERS, withCors, type CorsOptions } from "./cors.js";
import type { RequestHandler } from "./listen.js";

const APP = "http://app.example.test";

/** The wrapped handler answers 200 "ok" with its own header, as connect's adapter writes with writeHead. */
const inner: RequestHandler = (_req, res) => {
  (res as http.ServerResponse).writeHead(200, { "content-type": "text/plain", "x-request-id": "rid-1" });
  res.end("ok");
};

async function serve(opts: CorsOptions, fn: (base: string) => Promise<void>) {
  const server = http.createServer(withCors(inner, opts));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    await fn(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

const preflight = (base: string, origin: string) =>
  fetch(`${base}/vellum.v1.SnapshotService/GetSnapshot`, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type,connect-protocol-version" },
  });

test("an allowed origin's preflight gets 204 with methods, headers and max-age; the handler is not called", async () => {
  await serve({ allowedOrigins: [APP] }, async (base) => {
    const res = await preflight(base, APP);
    assert.is(res.status, 204);
    assert.is(res.headers.get("access-control-allow-origin"), APP);
    assert.is(res.headers.get("access-control-allow-methods"), "POST, GET");
    const allowed = res.headers.get("access-control-allow-headers")!.split(", ");
    for (const h of ["content-type", "connect-protocol-version", "x-grpc-web", "grpc-timeout", "authorization", "x-api-key", "idempotency-key"]) {
      assert.ok(allowed.includes(h), h);
    }
    assert.is(res.headers.get("access-control-max-age"), "7200");
    assert.is(res.headers.get("vary"), "Origin");
    assert.is(await res.text(), "");
  });
});

test("a disallowed origin's preflight gets 403 without CORS headers", async () => {
  await serve({ allowedOrigins: [APP] }, async (base) => {
    const res = await preflight(base, "http://evil.example.test");
    assert.is(res.status, 403);
    assert.is(res.headers.get("access-control-allow-origin"), null);
    assert.is(res.headers.get("access-control-allow-methods"), null);
  });
});

test("actual requests from an allowed origin get allow-origin and expose-headers next to the handler's headers", async () => {
  await serve({ allowedOrigins: [APP, "http://other.example.test:8080"] }, async (base) => {
    const res = await fetch(base, { method: "POST", headers: { origin: APP } });
    assert.is(res.status, 200);
    assert.is(await res.text(), "ok");
    assert.is(res.headers.get("x-request-id"), "rid-1");
    assert.is(res.headers.get("access-control-allow-origin"), APP);
    assert.equal(res.headers.get("access-control-expose-headers")!.split(", "), [...CORS_EXPOSED_HEADERS]);
    const denied = await fetch(base, { method: "POST", headers: { origin: "http://evil.example.test" } });
    assert.is(denied.status, 200, "served; the browser withholds it");
    assert.is(denied.headers.get("access-control-allow-origin"), null);
  });
});

test("requests without Origin pass through untouched", async () => {
  await serve({ allowedOrigins: [APP] }, async (base) => {
    const res = await fetch(base, { method: "POST" });
    assert.is(await res.text(), "ok");
    assert.is(res.headers.get("access-control-allow-origin"), null);
    assert.is(res.headers.get("vary"), null);
    const options = await fetch(base, { method: "OPTIONS" });
    assert.is(await options.text(), "ok", "a non-CORS OPTIONS reaches the handler");
  });
});

test('"*" allows any origin without Vary', async () => {
  await serve({ allowedOrigins: "*", maxAgeSeconds: 60 }, async (base) => {
    const pre = await preflight(base, "http://anything.test");
    assert.is(pre.status, 204);
    assert.is(pre.headers.get("access-control-allow-origin"), "*");
    assert.is(pre.headers.get("access-control-max-age"), "60");
    const res = await fetch(base, { method: "POST", headers: { origin: "http://anything.test" } });
    assert.is(res.headers.get("access-control-allow-origin"), "*");
    assert.is(res.headers.get("vary"), null);
  });
});

test("works on HTTP/2 responses as well", async () => {
  const server = http2.createServer(withCors(inner, { allowedOrigins: [APP] }));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const session = http2.connect(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
  try {
    const headers = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
      const req = session.request({ ":method": "POST", ":path": "/", origin: APP });
      req.on("response", resolve);
      req.on("error", reject);
      req.resume();
      req.end();
    });
    assert.is(headers[":status"], 200);
    assert.is(headers["access-control-allow-origin"], APP);
    assert.is(headers["x-request-id"], "rid-1");
  } finally {
    session.close();
    await new Promise((r) => server.close(r));
  }
});

test("the lists hold every header of connect's cors constants (encodings and Grpc-Message-Type included) besides Vellum's", async () => {
  await serve({ allowedOrigins: [APP] }, async (base) => {
    const pre = await preflight(base, APP);
    const allowed = pre.headers.get("access-control-allow-headers")!.split(", ");
    for (const h of [...cors.allowedHeaders, "Content-Encoding", "Accept-Encoding", "Grpc-Message-Type", "Grpc-Timeout", "X-Api-Key"]) {
      assert.ok(allowed.includes(h.toLowerCase()), h);
    }
    assert.equal(pre.headers.get("access-control-allow-methods")!.split(", "), cors.allowedMethods);
    const res = await fetch(base, { method: "POST", headers: { origin: APP } });
    const exposed = res.headers.get("access-control-expose-headers")!.split(", ");
    for (const h of [...cors.exposedHeaders, "X-Request-Id", "Retry-After"]) assert.ok(exposed.includes(h.toLowerCase()), h);
    assert.is(new Set(allowed).size, allowed.length, "no duplicates");
  });
});

test("origins must be bare scheme://host[:port]", () => {
  for (const bad of ["app.example.test", "http://app.example.test/", "http://app.example.test/path", "null", "*.example.test"]) {
    assert.throws(() => withCors(inner, { allowedOrigins: [bad] }), TypeError, bad);
  }
  assert.ok(CORS_ALLOWED_HEADERS.every((h) => h === h.toLowerCase()));
});

test.run();
