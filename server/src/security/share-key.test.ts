import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { signShareToken, verifyShareToken } from "../domain/share/share-token.js";
import { loadOrCreateShareSecretFile, shareSigningKey } from "./share-key.js";

test("the development share secret is created once, mode 0600, and reused", () => {
  const dir = mkdtempSync(join(tmpdir(), "vellum-share-key-"));
  try {
    const path = join(dir, "nested", "share.key");
    const first = loadOrCreateShareSecretFile(path);
    assert.is(first.length, 32);
    assert.is(statSync(path).mode & 0o777, 0o600);
    assert.equal(loadOrCreateShareSecretFile(path), first);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the key id follows the secret, so tokens of a rotated secret are refused as unknown", async () => {
  const a = shareSigningKey(Buffer.from("a".repeat(32)));
  const b = shareSigningKey(Buffer.from("b".repeat(32)));
  assert.is.not(a.kid, b.kid);
  assert.is(shareSigningKey(Buffer.from("a".repeat(32))).kid, a.kid);
  const claims = { shareId: "s1", storeId: "st", snapshotId: "sn", access: "READ" as const, exp: Math.floor(Date.now() / 1000) + 60 };
  const token = signShareToken(claims, a);
  const opts = { now: new Date(), request: { snapshotId: "sn", access: "READ" as const }, isRevoked: async () => false };
  assert.equal(await verifyShareToken(token, [a], opts), claims);
  try {
    await verifyShareToken(token, [b], opts);
    assert.unreachable();
  } catch (e) {
    assert.is((e as { details: { reason: string } }).details.reason, "SHARE_TOKEN_KEY_UNKNOWN");
  }
});

test.run();
