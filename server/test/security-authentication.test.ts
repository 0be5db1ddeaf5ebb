import { Code } from "@connectrpc/connect";
import { exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import http from "node:http";
import http2 from "node:http2";
import type net from "node:net";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ApiKeyService } from "../../gen/vellum/v1/api_key_service_pb.js";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { generateApiKey } from "../src/domain/auth/api-key.js";
import { codeOf, failureOf, startSecureServer, type Credential, type SecureServer } from "./support/security-fixtures.js";

const ISSUER = "https://idp.example.test";
const AUDIENCE = "vellum-api";

interface Ctx {
  s: SecureServer;
  privateKey: CryptoKey;
  publicPem: string;
  otherKey: CryptoKey;
  sockets: Set<net.Socket>;
}
const test = suite<Ctx>("security: authentication on the real server (API keys, JWT, body not read)");

test.before(async (ctx) => {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  ctx.privateKey = privateKey;
  ctx.publicPem = await exportSPKI(publicKey);
  ctx.otherKey = (await generateKeyPair("RS256")).privateKey;
  ctx.sockets = new Set();
  ctx.s = await startSecureServer(
    {
      VELLUM_JWT_PUBLIC_KEY: ctx.publicPem,
      VELLUM_JWT_ISSUER: ISSUER,
      VELLUM_JWT_AUDIENCE: AUDIENCE,
      VELLUM_JWT_ALGORITHMS: "RS256",
    },
    {
      // Count what the server reads from each TCP connection (HTTP/1.1 socket or HTTP/2 session socket).
      wrap: (handler) => (req, res) => {
        const stream = (req as http2.Http2ServerRequest).stream as http2.ServerHttp2Stream | undefined;
        ctx.sockets.add((stream?.session?.socket ?? req.socket) as net.Socket);
        handler(req, res);
      },
    },
  );
});
test.after(async (ctx) => {
  await ctx.s.close();
});

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
const nowSec = () => Math.floor(Date.now() / 1000);

function jwt(ctx: Ctx, claims: Record<string, unknown> = {}, opts: { key?: CryptoKey; iss?: string; aud?: string; exp?: number } = {}) {
  return new SignJWT({ scope: "snapshot:read snapshot:write", stores: ["store-a"], ...claims })
    .setProtectedHeader({ alg: "RS256" })
    .setSubject("alice")
    .setIssuer(opts.iss ?? ISSUER)
    .setAudience(opts.aud ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? nowSec() + 300)
    .sign(opts.key ?? ctx.privateKey);
}

const list = (ctx: Ctx, credential: Credential, storeId = "store-a") =>
  ctx.s.client(SnapshotService, credential).listSnapshots({ storeId });

test("a valid JWT authenticates; its scopes and stores apply", async (ctx) => {
  const token = await jwt(ctx);
  const created = await ctx.s.client(SnapshotService, { bearer: token }).createSnapshot({
    storeId: "store-a",
    resourceType: "cfg",
    snapshotType: SnapshotType.BLOB,
    payload: { case: "data", value: Buffer.from("hello") },
  });
  assert.is(created.snapshot!.createdBy, "alice");
  assert.is((await list(ctx, { bearer: token })).totalSize, 1);
  assert.is(await codeOf(list(ctx, { bearer: token }, "store-b")), Code.NotFound);
  const readOnly = await jwt(ctx, { scope: "snapshot:read" });
  const denied = await failureOf(
    ctx.s.client(SnapshotService, { bearer: readOnly }).deleteSnapshot({ storeId: "store-a", snapshotId: created.snapshot!.snapshotId }),
  );
  assert.is(denied.code, Code.PermissionDenied);
});

test("alg none, key confusion, expired, wrong audience/issuer, foreign key and garbage are UNAUTHENTICATED", async (ctx) => {
  const claims = { sub: "mallory", iss: ISSUER, aud: AUDIENCE, exp: nowSec() + 300, scope: "snapshot:admin", stores: "*" };
  const algNone = `${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.`;
  // Key confusion: HS256 "signed" with the server's RSA public key as the HMAC secret.
  const confused = await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(ctx.publicPem));
  const cases: Record<string, string> = {
    "alg none": algNone,
    "key confusion (HS256 with the public key)": confused,
    expired: await jwt(ctx, {}, { exp: nowSec() - 3600 }),
    "wrong audience": await jwt(ctx, {}, { aud: "someone-else" }),
    "wrong issuer": await jwt(ctx, {}, { iss: "https://evil.example" }),
    "signed by another key": await jwt(ctx, {}, { key: ctx.otherKey }),
    "payload swapped after signing": (await jwt(ctx)).replace(/\.[^.]+\./, `.${b64({ ...claims, sub: "alice" })}.`),
    garbage: "garbage",
    "three garbage parts": "a.b.c",
  };
  for (const [name, token] of Object.entries(cases)) {
    const err = await failureOf(list(ctx, { bearer: token }));
    assert.is(err.code, Code.Unauthenticated, name);
    assert.not.ok(err.rawMessage.includes(token.slice(0, 20)), `${name}: message must not echo the token`);
    assert.ok(err.metadata.get("x-request-id"), `${name}: error carries a request id`);
  }
});

test("missing, malformed, unknown, revoked API keys and ambiguous credentials are UNAUTHENTICATED", async (ctx) => {
  const admin = ctx.s.client(ApiKeyService, { apiKey: ctx.s.adminKey });
  const { key, apiKey } = await admin.createApiKey({ name: "reader", scopes: ["snapshot:read"], storeIds: ["store-a"] });
  assert.ok(key.startsWith(`vk_${apiKey!.keyId}_`));
  assert.is(await codeOf(list(ctx, { apiKey: key })), 0);
  await admin.revokeApiKey({ keyId: apiKey!.keyId });
  const cases: Record<string, Credential> = {
    "no credentials": undefined,
    "malformed key": { apiKey: "vk_garbage" },
    "unknown key": { apiKey: generateApiKey().key },
    "right id, wrong secret": { apiKey: `vk_${apiKey!.keyId}_${generateApiKey().secret}` },
    "revoked key": { apiKey: key },
    "basic auth": { headers: { authorization: "Basic YWxpY2U6c2VjcmV0" } },
    "both headers": { headers: { authorization: "Bearer x.y.z", "x-api-key": ctx.s.adminKey } },
  };
  for (const [name, credential] of Object.entries(cases)) {
    const err = await failureOf(list(ctx, credential));
    assert.is(err.code, Code.Unauthenticated, name);
    assert.not.ok(err.rawMessage.includes("vk_"), `${name}: message must not echo the key`);
  }
});

const TOTAL = 64 * 1024 * 1024;
const CHUNK = Buffer.alloc(1024 * 1024, 7);
const bytesReadBy = (sockets: Set<net.Socket>) => [...sockets].reduce((n, s) => n + s.bytesRead, 0);

test("an unauthenticated 64 MiB body over HTTP/1.1 is rejected without being read", async (ctx) => {
  ctx.sockets.clear();
  const res = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; queued: number }>((resolve, reject) => {
    const req = http.request({
      host: "127.0.0.1",
      port: ctx.s.server.port,
      method: "POST",
      path: "/vellum.v1.SnapshotService/CreateSnapshot",
      headers: { "content-type": "application/proto", "content-length": TOTAL, "connect-protocol-version": "1" },
    });
    let queued = 0;
    let answered = false;
    req.on("response", (r) => {
      answered = true;
      let body = "";
      r.on("data", (d) => (body += d));
      r.on("end", () => resolve({ status: r.statusCode!, headers: r.headers, body, queued }));
    });
    req.on("error", (e) => (answered ? undefined : reject(e)));
    const pump = () => {
      while (queued < TOTAL && !answered) {
        queued += CHUNK.length;
        if (!req.write(CHUNK)) return void req.once("drain", pump);
      }
      if (queued >= TOTAL) req.end();
    };
    pump();
  });
  await new Promise((r) => setTimeout(r, 300)); // anything the server would still read arrives by now
  const read = bytesReadBy(ctx.sockets);
  assert.is(res.status, 401);
  assert.is(JSON.parse(res.body).code, "unauthenticated");
  assert.is(res.headers.connection, "close");
  assert.ok(res.headers["x-request-id"]);
  assert.ok(res.queued < TOTAL, "the client could not push the whole body");
  assert.ok(read < 1024 * 1024, `server read ${read} bytes of a 64 MiB body`);
  console.log(`    HTTP/1.1: server read ${read} bytes of ${TOTAL}`);
});

test("an unauthenticated 64 MiB gRPC stream over HTTP/2 is rejected without being read", async (ctx) => {
  ctx.sockets.clear();
  const session = http2.connect(ctx.s.server.baseUrl);
  const stream = session.request({
    ":method": "POST",
    ":path": "/vellum.v1.SnapshotService/UploadSnapshot",
    "content-type": "application/grpc",
    te: "trailers",
  });
  let queued = 0;
  let closed = false;
  let status: string | undefined;
  const done = new Promise<void>((resolve) => {
    stream.on("response", (h) => (status ??= h["grpc-status"] as string | undefined));
    stream.on("trailers", (t) => (status ??= t["grpc-status"] as string | undefined));
    stream.on("error", () => {});
    stream.on("close", () => {
      closed = true;
      resolve();
    });
    stream.resume();
  });
  const pump = () => {
    while (queued < TOTAL && !closed) {
      queued += CHUNK.length;
      if (!stream.write(CHUNK)) return void stream.once("drain", pump);
    }
    if (queued >= TOTAL) stream.end();
  };
  pump();
  await done;
  await new Promise((r) => setTimeout(r, 300));
  const read = bytesReadBy(ctx.sockets);
  session.close();
  assert.is(status, String(Code.Unauthenticated));
  assert.ok(queued < TOTAL, "the client could not push the whole body");
  // Bounded by the server's HTTP/2 stream flow-control window (4 MiB, http/listen.ts).
  assert.ok(read < 8 * 1024 * 1024, `server read ${read} bytes of a 64 MiB body`);
  console.log(`    HTTP/2: server read ${read} bytes of ${TOTAL}`);
});

test.run();
