import { createHash, createHmac } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { isDomainError, type DomainError } from "../errors.js";
import {
  formatApiKey,
  generateApiKey,
  hashApiKeySecret,
  parseApiKey,
  verifyApiKey,
  type StoredApiKey,
} from "./api-key.js";

const pepper = new Uint8Array(32).fill(7);
const now = new Date("2026-01-01T00:00:00Z");

function stored(secret: string, keyId: string, over: Partial<StoredApiKey> = {}): StoredApiKey {
  return {
    keyId,
    name: "ci",
    secretHash: hashApiKeySecret(secret, { pepper }),
    scopes: new Set(["snapshot:read"]),
    stores: new Set(["s1"]),
    expiresAt: null,
    revoked: false,
    createdBy: "admin",
    createTime: new Date("2025-01-01T00:00:00Z"),
    ...over,
  };
}

function rejection(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    if (isDomainError(e)) return e;
    throw e;
  }
  throw new Error("expected rejection");
}

test("generateApiKey: vk_<20 hex>_<43 base64url>, parses back", () => {
  const k = generateApiKey();
  assert.match(k.key, /^vk_[0-9a-f]{20}_[A-Za-z0-9_-]{43}$/);
  assert.equal(parseApiKey(k.key), { keyId: k.keyId, secret: k.secret });
  assert.is(formatApiKey(k), k.key);
  assert.is.not(generateApiKey().key, k.key);
});

test("generateApiKey uses the injected randomness; secret may contain '_'", () => {
  const k = generateApiKey((n) => new Uint8Array(n).fill(0xff));
  assert.is(k.keyId, "ff".repeat(10));
  assert.is(k.secret, "_".repeat(42) + "8");
  assert.equal(parseApiKey(k.key), { keyId: k.keyId, secret: k.secret });
});

test("parseApiKey rejects malformed keys", () => {
  const good = generateApiKey();
  for (const bad of [
    "",
    good.key.slice(3),
    `vk_${good.keyId}`,
    `vk__${good.secret}`,
    `vk_short_${good.secret}`,
    `vk_${good.keyId}_${good.secret}A`,
    `vk_${good.keyId}_${good.secret.slice(1)}`,
    `VK_${good.keyId}_${good.secret}`,
    `vk_${good.keyId}_${good.secret}=`,
    `vk_${good.keyId}_${good.secret.slice(0, 42)}x`, // non-canonical trailing bits
    ` ${good.key}`,
  ]) {
    assert.is(parseApiKey(bad), undefined, bad);
  }
});

test("hashApiKeySecret: SHA-256 without pepper, HMAC with pepper", () => {
  const s = generateApiKey().secret;
  assert.is(hashApiKeySecret(s).toHex(), createHash("sha256").update(s).digest("hex"));
  assert.is(hashApiKeySecret(s, { pepper }).toHex(), createHmac("sha256", pepper).update(s).digest("hex"));
  assert.throws(() => hashApiKeySecret(s, { pepper: new Uint8Array(16) }), /at least 32 bytes/);
});

test("verifyApiKey accepts the right key and builds an api_key principal", () => {
  const k = generateApiKey();
  const p = verifyApiKey(k.key, stored(k.secret, k.keyId), { pepper, now });
  assert.is(p.kind, "api_key");
  assert.is(p.id, k.keyId);
  assert.equal([...p.scopes], ["snapshot:read"]);
  assert.equal(p.stores, new Set(["s1"]));
});

test("verifyApiKey rejects a wrong secret with API_KEY_INVALID", () => {
  const k = generateApiKey();
  const other = generateApiKey();
  const e = rejection(() => verifyApiKey(`vk_${k.keyId}_${other.secret}`, stored(k.secret, k.keyId), { pepper, now }));
  assert.is(e.name, "Unauthenticated");
  assert.is(e.details.reason, "API_KEY_INVALID");
});

test("verifyApiKey rejects a mismatched key id", () => {
  const k = generateApiKey();
  const e = rejection(() => verifyApiKey(k.key, stored(k.secret, "0123456789abcdef0123"), { pepper, now }));
  assert.is(e.details.reason, "API_KEY_INVALID");
});

test("verifyApiKey rejects when the pepper differs", () => {
  const k = generateApiKey();
  const e = rejection(() => verifyApiKey(k.key, stored(k.secret, k.keyId), { pepper: new Uint8Array(32), now }));
  assert.is(e.details.reason, "API_KEY_INVALID");
});

test("verifyApiKey rejects a malformed presented key", () => {
  const k = generateApiKey();
  const e = rejection(() => verifyApiKey("vk_nope", stored(k.secret, k.keyId), { pepper, now }));
  assert.is(e.details.reason, "API_KEY_INVALID");
});

test("verifyApiKey rejects a revoked key", () => {
  const k = generateApiKey();
  const e = rejection(() => verifyApiKey(k.key, stored(k.secret, k.keyId, { revoked: true }), { pepper, now }));
  assert.is(e.name, "Unauthenticated");
  assert.is(e.details.reason, "API_KEY_REVOKED");
});

test("verifyApiKey rejects an expired key (expiry instant included)", () => {
  const k = generateApiKey();
  const e = rejection(() => verifyApiKey(k.key, stored(k.secret, k.keyId, { expiresAt: now }), { pepper, now }));
  assert.is(e.details.reason, "API_KEY_EXPIRED");
  const later = new Date(now.getTime() + 1);
  verifyApiKey(k.key, stored(k.secret, k.keyId, { expiresAt: later }), { pepper, now });
});

test("revocation and expiry are only reported to the holder of the right secret", () => {
  const k = generateApiKey();
  const wrong = `vk_${k.keyId}_${generateApiKey().secret}`;
  const e = rejection(() => verifyApiKey(wrong, stored(k.secret, k.keyId, { revoked: true, expiresAt: now }), { pepper, now }));
  assert.is(e.details.reason, "API_KEY_INVALID");
});

test("rejections never echo the presented key", () => {
  const k = generateApiKey();
  const wrong = `vk_${k.keyId}_${generateApiKey().secret}`;
  for (const [presented, rec] of [
    [wrong, stored(k.secret, k.keyId)],
    [k.key, stored(k.secret, k.keyId, { revoked: true })],
    [k.key, stored(k.secret, k.keyId, { expiresAt: now })],
    [k.key + "x", stored(k.secret, k.keyId)],
  ] as const) {
    const e = rejection(() => verifyApiKey(presented, rec, { pepper, now }));
    assert.not.ok(e.message.includes(k.secret) || e.message.includes(presented.slice(3 + 20 + 1)), e.message);
  }
});

test.run();
