import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { ShareSigningKey } from "../domain/share/share-token.js";

/**
 * The share-link signing key for a secret: the key id is derived from the secret (`s` + 12 hex
 * characters of its SHA-256), so changing the secret changes the id and old tokens are rejected as
 * signed by an unknown key.
 */
export function shareSigningKey(secret: Uint8Array): ShareSigningKey {
  return { kid: `s${createHash("sha256").update(secret).digest("hex").slice(0, 12)}`, secret };
}

/**
 * The share secret when none is configured (development mode): 32 random bytes kept in `path`
 * (mode 0600), created on first start, so links survive restarts.
 */
export function loadOrCreateShareSecretFile(path: string): Uint8Array {
  if (existsSync(path)) {
    const secret = Buffer.from(readFileSync(path, "utf8").trim(), "base64url");
    if (secret.length < 32) throw new Error(`share key file ${path} does not hold a base64url secret of at least 32 bytes`);
    return secret;
  }
  mkdirSync(dirname(path), { recursive: true });
  const secret = randomBytes(32);
  writeFileSync(path, secret.toString("base64url") + "\n", { mode: 0o600, flag: "wx" });
  return secret;
}
