import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT, type JWTPayload, type CryptoKey } from "jose";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createJwtVerifier, type JwtConfig, type JwtVerifier } from "./jwt-verifier.js";
import { rejection } from "../../../test/support/rejection.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const nowSec = Math.floor(NOW.getTime() / 1000);
const ISS = "https://idp.example.test";
const AUD = "vellum";

interface Ctx {
  rsa: { publicKey: CryptoKey; privateKey: CryptoKey };
  otherRsa: { publicKey: CryptoKey; privateKey: CryptoKey };
  ec: { publicKey: CryptoKey; privateKey: CryptoKey };
  pem: string;
  verifier: JwtVerifier;
  server?: Server;
  jwksUrl?: string;
  jwksHits: number;
}

const t = suite<Ctx>("jwt-verifier", {} as Ctx);

const baseClaims = (): JWTPayload => ({
  sub: "user-1",
  iss: ISS,
  aud: AUD,
  iat: nowSec - 10,
  exp: nowSec + 300,
  scope: "snapshot:read snapshot:write",
  stores: ["s1", "s2"],
});

function sign(
  claims: JWTPayload,
  key: CryptoKey | Uint8Array,
  header: { alg: string; kid?: string } = { alg: "RS256" },
): Promise<string> {
  return new SignJWT(claims).setProtectedHeader(header).sign(key);
}

async function expectReason(verifier: JwtVerifier, token: string, reason: string, now = NOW): Promise<void> {
  const e = await rejection(verifier.verify(token, now));
  assert.is(e.name, "Unauthenticated");
  assert.is(e.details.reason, reason);
  if (token !== "") assert.not.ok(e.message.includes(token), "message must not echo the token");
}

const pemConfig = (pem: string, over: Partial<JwtConfig> = {}): JwtConfig => ({
  algorithms: ["RS256"],
  issuer: ISS,
  audience: AUD,
  key: { kind: "pem", pem },
  ...over,
});

t.before(async (ctx) => {
  ctx.rsa = await generateKeyPair("RS256", { extractable: true });
  ctx.otherRsa = await generateKeyPair("RS256", { extractable: true });
  ctx.ec = await generateKeyPair("ES256", { extractable: true });
  ctx.pem = await exportSPKI(ctx.rsa.publicKey);
  ctx.verifier = createJwtVerifier(pemConfig(ctx.pem));
  const jwk = { ...(await exportJWK(ctx.rsa.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  ctx.jwksHits = 0;
  ctx.server = createServer((req, res) => {
    ctx.jwksHits++;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => ctx.server!.listen(0, "127.0.0.1", resolve));
  ctx.jwksUrl = `http://127.0.0.1:${(ctx.server.address() as AddressInfo).port}/.well-known/jwks.json`;
});

t.after((ctx) => {
  ctx.server?.closeAllConnections();
  ctx.server?.close();
});

t("valid token → jwt principal with scope string and store array", async (ctx) => {
  const p = await ctx.verifier.verify(await sign(baseClaims(), ctx.rsa.privateKey), NOW);
  assert.is(p.kind, "jwt");
  assert.is(p.id, "user-1");
  assert.equal([...p.scopes].sort(), ["snapshot:read", "snapshot:write"]);
  assert.equal(p.stores, new Set(["s1", "s2"]));
});

t("scp array and scope string are merged; unknown scopes ignored; stores '*'", async (ctx) => {
  const token = await sign(
    { ...baseClaims(), scope: "openid snapshot:read", scp: ["snapshot:export", "email"], stores: "*" },
    ctx.rsa.privateKey,
  );
  const p = await ctx.verifier.verify(token, NOW);
  assert.equal([...p.scopes].sort(), ["snapshot:export", "snapshot:read"]);
  assert.is(p.stores, "*");
});

t("scp as a space-separated string; absent stores claim → no stores", async (ctx) => {
  const { stores: _drop, scope: _s, ...claims } = baseClaims();
  const p = await ctx.verifier.verify(await sign({ ...claims, scp: "snapshot:admin" }, ctx.rsa.privateKey), NOW);
  assert.equal([...p.scopes], ["snapshot:admin"]);
  assert.equal(p.stores, new Set());
});

t("configurable stores claim", async (ctx) => {
  const v = createJwtVerifier(pemConfig(ctx.pem, { storesClaim: "https://vellum.dev/stores" }));
  const token = await sign({ ...baseClaims(), "https://vellum.dev/stores": ["x"] }, ctx.rsa.privateKey);
  assert.equal((await v.verify(token, NOW)).stores, new Set(["x"]));
});

t("rejects alg: none", async (ctx) => {
  const token = new UnsecuredJWT(baseClaims()).encode();
  assert.ok(token.endsWith("."));
  await expectReason(ctx.verifier, token, "TOKEN_ALG_NOT_ALLOWED");
});

t("rejects key confusion: HS256 signed with the RSA public key PEM as HMAC secret", async (ctx) => {
  const token = await sign(baseClaims(), new TextEncoder().encode(ctx.pem), { alg: "HS256" });
  await expectReason(ctx.verifier, token, "TOKEN_ALG_NOT_ALLOWED");
  // Same attack against a JWK-set source, with a matching kid.
  const jwk = { ...(await exportJWK(ctx.rsa.publicKey)), kid: "k1" };
  const jwkVerifier = createJwtVerifier({ ...pemConfig(ctx.pem), key: { kind: "jwk", jwk } });
  const token2 = await sign(baseClaims(), new TextEncoder().encode(JSON.stringify(jwk)), { alg: "HS256", kid: "k1" });
  await expectReason(jwkVerifier, token2, "TOKEN_ALG_NOT_ALLOWED");
});

t("config refuses HS algorithms next to a public key (key confusion by configuration)", (ctx) => {
  assert.throws(() => createJwtVerifier(pemConfig(ctx.pem, { algorithms: ["RS256", "HS256"] })), /hmac key/);
});

t("rejects an allowed-family token whose alg is not in the allowlist", async (ctx) => {
  const v = createJwtVerifier(pemConfig(ctx.pem, { algorithms: ["PS256"] }));
  await expectReason(v, await sign(baseClaims(), ctx.rsa.privateKey), "TOKEN_ALG_NOT_ALLOWED");
});

t("rejects expired tokens; clock tolerance applies", async (ctx) => {
  const token = await sign({ ...baseClaims(), exp: nowSec - 31 }, ctx.rsa.privateKey);
  await expectReason(ctx.verifier, token, "TOKEN_EXPIRED");
  const withinSkew = await sign({ ...baseClaims(), exp: nowSec - 29 }, ctx.rsa.privateKey);
  assert.is((await ctx.verifier.verify(withinSkew, NOW)).id, "user-1");
  const strict = createJwtVerifier(pemConfig(ctx.pem, { clockToleranceSec: 0 }));
  await expectReason(strict, withinSkew, "TOKEN_EXPIRED");
});

t("rejects not-yet-valid tokens", async (ctx) => {
  const token = await sign({ ...baseClaims(), nbf: nowSec + 120 }, ctx.rsa.privateKey);
  await expectReason(ctx.verifier, token, "TOKEN_NOT_YET_VALID");
  assert.is((await ctx.verifier.verify(token, new Date((nowSec + 120) * 1000))).id, "user-1");
});

t("rejects wrong and missing audience", async (ctx) => {
  await expectReason(ctx.verifier, await sign({ ...baseClaims(), aud: "other" }, ctx.rsa.privateKey), "TOKEN_AUDIENCE_INVALID");
  const { aud: _a, ...noAud } = baseClaims();
  await expectReason(ctx.verifier, await sign(noAud, ctx.rsa.privateKey), "TOKEN_AUDIENCE_INVALID");
  const multi = await sign({ ...baseClaims(), aud: ["x", AUD] }, ctx.rsa.privateKey);
  assert.is((await ctx.verifier.verify(multi, NOW)).id, "user-1");
});

t("rejects wrong issuer", async (ctx) => {
  await expectReason(ctx.verifier, await sign({ ...baseClaims(), iss: "https://evil.test" }, ctx.rsa.privateKey), "TOKEN_ISSUER_INVALID");
});

t("rejects missing exp unless configured otherwise", async (ctx) => {
  const { exp: _e, ...noExp } = baseClaims();
  const token = await sign(noExp, ctx.rsa.privateKey);
  await expectReason(ctx.verifier, token, "TOKEN_EXP_MISSING");
  const lenient = createJwtVerifier(pemConfig(ctx.pem, { requireExp: false }));
  assert.is((await lenient.verify(token, NOW)).id, "user-1");
});

t("rejects garbage", async (ctx) => {
  for (const garbage of ["", "abc", "a.b", "a.b.c.d.e", "not a token at all", "eyJ.eyJ.sig", "..", "a.b.c"]) {
    await expectReason(ctx.verifier, garbage, "TOKEN_MALFORMED");
  }
  const huge = `${"a".repeat(9000)}.b.c`;
  await expectReason(ctx.verifier, huge, "TOKEN_MALFORMED");
});

t("rejects a token signed by another key", async (ctx) => {
  await expectReason(ctx.verifier, await sign(baseClaims(), ctx.otherRsa.privateKey), "TOKEN_SIGNATURE_INVALID");
});

t("rejects a tampered payload", async (ctx) => {
  const token = await sign(baseClaims(), ctx.rsa.privateKey);
  const [h, , s] = token.split(".");
  const forged = Buffer.from(JSON.stringify({ ...baseClaims(), stores: "*" })).toString("base64url");
  await expectReason(ctx.verifier, `${h}.${forged}.${s}`, "TOKEN_SIGNATURE_INVALID");
});

t("rejects bad claim shapes: missing sub, non-string scope, bad stores", async (ctx) => {
  const { sub: _s, ...noSub } = baseClaims();
  await expectReason(ctx.verifier, await sign(noSub, ctx.rsa.privateKey), "TOKEN_CLAIMS_INVALID");
  await expectReason(ctx.verifier, await sign({ ...baseClaims(), scope: ["snapshot:read"] }, ctx.rsa.privateKey), "TOKEN_CLAIMS_INVALID");
  await expectReason(ctx.verifier, await sign({ ...baseClaims(), scp: [1] }, ctx.rsa.privateKey), "TOKEN_CLAIMS_INVALID");
  await expectReason(ctx.verifier, await sign({ ...baseClaims(), stores: "s1" }, ctx.rsa.privateKey), "TOKEN_CLAIMS_INVALID");
  await expectReason(ctx.verifier, await sign({ ...baseClaims(), stores: [""] }, ctx.rsa.privateKey), "TOKEN_CLAIMS_INVALID");
});

t("JWKS URL: verifies with a key served over http on 127.0.0.1, caching the set", async (ctx) => {
  const v = createJwtVerifier({ ...pemConfig(""), key: { kind: "jwks_url", url: ctx.jwksUrl! } });
  const token = await sign(baseClaims(), ctx.rsa.privateKey, { alg: "RS256", kid: "k1" });
  const before = ctx.jwksHits;
  assert.is((await v.verify(token, NOW)).id, "user-1");
  assert.is((await v.verify(token, NOW)).id, "user-1");
  assert.is(ctx.jwksHits - before, 1);
});

t("JWKS URL: unknown kid → TOKEN_KEY_UNKNOWN; other key with known kid → signature invalid", async (ctx) => {
  const v = createJwtVerifier({ ...pemConfig(""), key: { kind: "jwks_url", url: ctx.jwksUrl! } });
  await expectReason(v, await sign(baseClaims(), ctx.otherRsa.privateKey, { alg: "RS256", kid: "nope" }), "TOKEN_KEY_UNKNOWN");
  await expectReason(v, await sign(baseClaims(), ctx.otherRsa.privateKey, { alg: "RS256", kid: "k1" }), "TOKEN_SIGNATURE_INVALID");
  await expectReason(v, await sign(baseClaims(), new TextEncoder().encode(ctx.pem), { alg: "HS256", kid: "k1" }), "TOKEN_ALG_NOT_ALLOWED");
});

t("JWKS URL unreachable → UNAVAILABLE, not UNAUTHENTICATED", async (ctx) => {
  const dead = createServer();
  await new Promise<void>((r) => dead.listen(0, "127.0.0.1", r));
  const port = (dead.address() as AddressInfo).port;
  await new Promise<void>((r) => dead.close(() => r()));
  const v = createJwtVerifier({ ...pemConfig(""), key: { kind: "jwks_url", url: `http://127.0.0.1:${port}/jwks`, timeoutMs: 2000 } });
  const e = await rejection(v.verify(await sign(baseClaims(), ctx.rsa.privateKey, { alg: "RS256", kid: "k1" }), NOW));
  assert.is(e.name, "Unavailable");
});

t("static JWK and ES256 PEM sources", async (ctx) => {
  const jwk = await exportJWK(ctx.ec.publicKey);
  const v = createJwtVerifier({ ...pemConfig(""), algorithms: ["ES256"], key: { kind: "jwk", jwk } });
  assert.is((await v.verify(await sign(baseClaims(), ctx.ec.privateKey, { alg: "ES256" }), NOW)).id, "user-1");
  const ecPem = createJwtVerifier(pemConfig(await exportSPKI(ctx.ec.publicKey), { algorithms: ["ES256"] }));
  assert.is((await ecPem.verify(await sign(baseClaims(), ctx.ec.privateKey, { alg: "ES256" }), NOW)).id, "user-1");
  await expectReason(ecPem, await sign(baseClaims(), ctx.rsa.privateKey), "TOKEN_ALG_NOT_ALLOWED");
});

t("HMAC secret source verifies HS256 and rejects other secrets", async () => {
  const secret = new Uint8Array(32).fill(9);
  const v = createJwtVerifier({ ...pemConfig(""), algorithms: ["HS256"], key: { kind: "hmac", secret } });
  assert.is((await v.verify(await sign(baseClaims(), secret, { alg: "HS256" }), NOW)).id, "user-1");
  await expectReason(v, await sign(baseClaims(), new Uint8Array(32).fill(8), { alg: "HS256" }), "TOKEN_SIGNATURE_INVALID");
});

t("configuration errors are thrown at construction", async (ctx) => {
  const hmac = { kind: "hmac" as const, secret: new Uint8Array(32) };
  assert.throws(() => createJwtVerifier(pemConfig(ctx.pem, { algorithms: [] })), /must not be empty/);
  assert.throws(() => createJwtVerifier(pemConfig(ctx.pem, { algorithms: ["none"] })), /not supported/);
  assert.throws(() => createJwtVerifier({ ...pemConfig(""), algorithms: ["RS256"], key: hmac }), /hmac key only/);
  assert.throws(() => createJwtVerifier({ ...pemConfig(""), algorithms: ["HS256"], key: { kind: "hmac", secret: new Uint8Array(16) } }), /32 bytes/);
  const ecPem = await exportSPKI(ctx.ec.publicKey);
  assert.throws(() => createJwtVerifier(pemConfig(ecPem)), /cannot verify: RS256/);
  assert.throws(() => createJwtVerifier({ ...pemConfig(""), key: { kind: "jwks_url", url: "http://idp.example.test/jwks" } }), /https/);
  assert.throws(() => createJwtVerifier(pemConfig(ctx.pem, { issuer: "" })), /issuer/);
  assert.throws(() => createJwtVerifier(pemConfig(ctx.pem, { audience: [] })), /audience/);
});

t.run();
