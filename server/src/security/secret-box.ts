import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import { dataLoss } from "../domain/errors.js";

const VERSION = 1;
const NONCE = 12;
const TAG = 16;

/**
 * Seals short secrets (restore target auth headers) for storage: AES-256-GCM under a key derived
 * from the master key for `purpose` (HMAC-SHA256), random nonce, the purpose bound as associated
 * data. Format: version(1) || nonce(12) || ciphertext || tag(16). A secret sealed for one purpose
 * does not open for another.
 */
export function createSecretBox(masterKey: Uint8Array, purpose: string) {
  const key = createHmac("sha256", masterKey).update(`vellum/secret-box/v${VERSION}/${purpose}`).digest();
  const aad = Buffer.from(purpose, "utf8");
  return {
    seal(secret: string): Uint8Array {
      const nonce = randomBytes(NONCE);
      const c = createCipheriv("aes-256-gcm", key, nonce).setAAD(aad);
      const body = Buffer.concat([c.update(secret, "utf8"), c.final()]);
      return new Uint8Array(Buffer.concat([Buffer.of(VERSION), nonce, body, c.getAuthTag()]));
    },
    open(sealed: Uint8Array): string {
      const b = Buffer.from(sealed);
      if (b.length < 1 + NONCE + TAG || b[0] !== VERSION) throw dataLoss(`a sealed ${purpose} secret is damaged`);
      try {
        const d = createDecipheriv("aes-256-gcm", key, b.subarray(1, 1 + NONCE)).setAAD(aad);
        d.setAuthTag(b.subarray(b.length - TAG));
        return Buffer.concat([d.update(b.subarray(1 + NONCE, b.length - TAG)), d.final()]).toString("utf8");
      } catch (e) {
        throw dataLoss(`a sealed ${purpose} secret does not open with this master key`, e);
      }
    },
  };
}

export type SecretBox = ReturnType<typeof createSecretBox>;
