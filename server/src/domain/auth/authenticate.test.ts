import { SignJWT } from "jose";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { generateApiKey, hashApiKeySecret, type ApiKeyRepository, type StoredApiKey } from "./api-key.js";
import { authenticate, type AuthenticateDeps } from "./authenticate.js";
import { createJwtVerifier } from "./jwt-verifier.js";
import { localAdminPrincipal } from "./principal.js";
import { rejection } from "../../../test/support/rejection.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const pepper = new Uint8Array(32).fill(3);
const jwtSecret = new Uint8Array(32).fill(4);

/** Map-backed ApiKeyRepository: the port's contract, nothing more. */
function memoryRepository(keys: StoredApiKey[]): ApiKeyRepository {
  const byId = new Map(keys.map((k) => [k.keyId, k]));
  return {
    findById: async (id) => byId.get(id),
    insert: async (k) => void byId.set(k.keyId, k),
    revoke: async (id) => {
      const k = byId.get(id);
      if (k) byId.set(id, { ...k, revoked: true });
      return k !== undefined;
    },
  };
}

const live = generateApiKey();
const revoked = generateApiKey();
const record = (k: { keyId: string; secret: string }, over: Partial<StoredApiKey> = {}): StoredApiKey => ({
  keyId: k.keyId,
  name: "k",
  secretHash: hashApiKeySecret(k.secret, { pepper }),
  scopes: new Set(["snapshot:write"]),
  stores: new Set(["s1"]),
  expiresAt: null,
  revoked: false,
  createdBy: "admin",
  createTime: NOW,
  ...over,
});

const deps: AuthenticateDeps = {
  apiKeys: { repository: memoryRepository([record(live), record(revoked, { revoked: true })]), hash: { pepper } },
  jwt: createJwtVerifier({
    algorithms: ["HS256"],
    issuer: "iss",
    audience: "vellum",
    key: { kind: "hmac", secret: jwtSecret },
  }),
  now: () => NOW,
};

const jwt = () =>
  new SignJWT({ sub: "u1", scope: "snapshot:read", stores: "*" })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer("iss")
    .setAudience("vellum")
    .setExpirationTime(Math.floor(NOW.getTime() / 1000) + 60)
    .sign(jwtSecret);

test("x-api-key authenticates an API key", async () => {
  const p = await authenticate({ "x-api-key": live.key }, deps);
  assert.is(p.kind, "api_key");
  assert.is(p.id, live.keyId);
  assert.equal([...p.scopes], ["snapshot:write"]);
});

test("authorization: Bearer vk_... authenticates an API key", async () => {
  const p = await authenticate(new Headers({ authorization: `Bearer ${live.key}` }), deps);
  assert.is(p.id, live.keyId);
});

test("authorization: Bearer <jwt> authenticates a JWT", async () => {
  const p = await authenticate({ authorization: `Bearer ${await jwt()}` }, deps);
  assert.is(p.kind, "jwt");
  assert.is(p.id, "u1");
  assert.is(p.stores, "*");
});

test("missing credentials → UNAUTHENTICATED, or the configured anonymous principal", async () => {
  const e = await rejection(authenticate({}, deps));
  assert.is(e.name, "Unauthenticated");
  assert.is(e.details.reason, "CREDENTIALS_MISSING");
  const admin = localAdminPrincipal();
  assert.is(await authenticate({}, { ...deps, anonymous: admin }), admin);
});

test("a bad credential is never downgraded to the anonymous principal", async () => {
  const e = await rejection(authenticate({ "x-api-key": "vk_garbage" }, { ...deps, anonymous: localAdminPrincipal() }));
  assert.is(e.details.reason, "API_KEY_INVALID");
});

test("unknown key id → API_KEY_INVALID", async () => {
  const e = await rejection(authenticate({ "x-api-key": generateApiKey().key }, deps));
  assert.is(e.details.reason, "API_KEY_INVALID");
});

test("wrong secret for a known key id → API_KEY_INVALID, secret not echoed", async () => {
  const wrongSecret = generateApiKey().secret;
  const e = await rejection(authenticate({ "x-api-key": `vk_${live.keyId}_${wrongSecret}` }, deps));
  assert.is(e.details.reason, "API_KEY_INVALID");
  assert.not.ok(e.message.includes(wrongSecret));
});

test("revoked key → API_KEY_REVOKED", async () => {
  const e = await rejection(authenticate({ "x-api-key": revoked.key }, deps));
  assert.is(e.details.reason, "API_KEY_REVOKED");
});

test("bad JWT → TOKEN_* reason, token not echoed", async () => {
  const token = (await jwt()).slice(0, -2) + "xx";
  const e = await rejection(authenticate({ authorization: `Bearer ${token}` }, deps));
  assert.is(e.name, "Unauthenticated");
  assert.is(e.details.reason, "TOKEN_SIGNATURE_INVALID");
  assert.not.ok(e.message.includes(token));
});

test("credential kinds that are not configured are refused", async () => {
  const noJwt = { ...deps, jwt: undefined };
  assert.is((await rejection(authenticate({ authorization: `Bearer ${await jwt()}` }, noJwt))).details.reason, "CREDENTIALS_UNSUPPORTED");
  const noKeys = { ...deps, apiKeys: undefined };
  assert.is((await rejection(authenticate({ "x-api-key": live.key }, noKeys))).details.reason, "CREDENTIALS_UNSUPPORTED");
});

test("ambiguous headers are refused before any lookup", async () => {
  const e = await rejection(authenticate({ "x-api-key": live.key, authorization: `Bearer ${await jwt()}` }, deps));
  assert.is(e.details.reason, "CREDENTIALS_AMBIGUOUS");
});

test.run();
