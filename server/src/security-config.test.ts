import { exportSPKI, generateKeyPair } from "jose";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ConfigError, loadConfig } from "./config.js";
import { generateApiKey } from "./domain/auth/api-key.js";
import { isLoopbackHost } from "./security-config.js";

const SECRET = "s".repeat(32);
const load = (env: Record<string, string>) => loadConfig(env, "/tmp");
function refusal(env: Record<string, string>): string {
  try {
    load(env);
  } catch (e) {
    assert.instance(e, ConfigError);
    return (e as Error).message;
  }
  throw new Error("expected a ConfigError");
}

test("development mode by default; it refuses to bind anything but loopback", () => {
  const c = load({});
  assert.is(c.security.auth, "none");
  assert.ok(c.security.shareSecret === undefined, "the share secret then comes from <dataDir>/share.key");
  for (const host of ["127.0.0.1", "127.1.2.3", "::1", "localhost"]) assert.ok(isLoopbackHost(host), host);
  for (const host of ["0.0.0.0", "::", "10.0.0.5", "example.com", "127.0.0.1.example.com"]) {
    assert.not.ok(isLoopbackHost(host), host);
    assert.match(refusal({ VELLUM_HOST: host }), /VELLUM_HOST must be a loopback address/);
  }
  assert.is(load({ VELLUM_HOST: "0.0.0.0", VELLUM_AUTH: "required", VELLUM_SHARE_SECRET: SECRET }).host, "0.0.0.0");
});

test("required mode needs a share secret; bad values are refused without echoing them", () => {
  assert.match(refusal({ VELLUM_AUTH: "required" }), /VELLUM_SHARE_SECRET is required/);
  assert.match(refusal({ VELLUM_AUTH: "sometimes" }), /VELLUM_AUTH must be none or required/);
  const short = "short-secret-value";
  const msg = refusal({ VELLUM_SHARE_SECRET: short });
  assert.match(msg, /at least 32 bytes/);
  assert.not.ok(msg.includes(short));
  const badKey = "vk_notreally_a-key";
  const keyMsg = refusal({ VELLUM_ADMIN_KEY: badKey });
  assert.match(keyMsg, /VELLUM_ADMIN_KEY/);
  assert.not.ok(keyMsg.includes(badKey));
  const key = generateApiKey().key;
  assert.is(load({ VELLUM_ADMIN_KEY: key, VELLUM_AUTH: "required", VELLUM_SHARE_SECRET: SECRET }).security.adminKey, key);
});

test("JWT settings: all of issuer, audience, algorithms and exactly one key source", async () => {
  const pem = await exportSPKI((await generateKeyPair("ES256")).publicKey);
  const base = { VELLUM_JWT_PUBLIC_KEY: pem, VELLUM_JWT_ISSUER: "https://idp", VELLUM_JWT_AUDIENCE: "vellum,other", VELLUM_JWT_ALGORITHMS: "ES256" };
  const jwt = load(base).security.jwt!;
  assert.equal(jwt.audience, ["vellum", "other"]);
  assert.equal(jwt.algorithms, ["ES256"]);
  assert.match(refusal({ ...base, VELLUM_JWT_ISSUER: "" }), /VELLUM_JWT_ISSUER is required/);
  assert.match(refusal({ ...base, VELLUM_JWT_ALGORITHMS: "" }), /VELLUM_JWT_ALGORITHMS is required/);
  assert.match(refusal({ ...base, VELLUM_JWT_JWKS_URL: "https://idp/jwks" }), /exactly one of/);
  assert.match(refusal({ ...base, VELLUM_JWT_ALGORITHMS: "RS256" }), /cannot verify/);
  assert.match(refusal({ ...base, VELLUM_JWT_ALGORITHMS: "ES256,HS256" }), /key confusion/);
  assert.match(refusal({ ...base, VELLUM_JWT_ALGORITHMS: "none" }), /not supported/);
  const { VELLUM_JWT_PUBLIC_KEY: _, ...viaUrl } = base;
  assert.match(refusal({ ...viaUrl, VELLUM_JWT_JWKS_URL: "http://idp.example.com/jwks" }), /https/);
  assert.is(load({ ...viaUrl, VELLUM_JWT_JWKS_URL: "https://idp.example.com/jwks" }).security.jwt!.key.kind, "jwks_url");
});

test("rate limits and public URL", () => {
  const c = load({ VELLUM_RATE_READ_PER_SEC: "7", VELLUM_RATE_WRITE_BURST: "3", VELLUM_PUBLIC_URL: "https://vellum.example.com/" });
  assert.equal(c.security.rateLimits.read.ratePerSecond, 7);
  assert.equal(c.security.rateLimits.write.burst, 3);
  assert.is(c.security.publicUrl, "https://vellum.example.com");
  assert.match(refusal({ VELLUM_RATE_WRITE_PER_SEC: "0" }), /VELLUM_RATE_WRITE_PER_SEC/);
  assert.is(load({ VELLUM_RATE_WRITE_PER_SEC: "0.25" }).security.rateLimits.write.ratePerSecond, 0.25);
  for (const bad of ["1e3", "-1", "0.0001", "abc", "1,5"]) assert.match(refusal({ VELLUM_RATE_READ_PER_SEC: bad }), /VELLUM_RATE_READ_PER_SEC/);
  assert.match(refusal({ VELLUM_PUBLIC_URL: "https://vellum.example.com/prefix" }), /VELLUM_PUBLIC_URL/);
});

test.run();
