import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { dataLoss } from "../../domain/errors.js";
import type { SecretSealer } from "../../domain/transfer/ports.js";
import { DATA_KEY_BYTES, generateDataKey, LOCAL_WRAPPED_KEY_BYTES, type Kms } from "./kms.js";

const NONCE = 12;
const TAG = 16;
const AAD = Buffer.from("vellum/job-secret/v1", "utf8");

/**
 * Seals secrets that jobs carry in their params (export keys, signing secrets, import sources) so
 * the jobs table never holds them in the clear: each secret gets a fresh data key, wrapped by the
 * KMS; sealed = base64url(wrapped key || nonce || AES-256-GCM ciphertext || tag).
 */
export function createSecretSealer(kms: Kms): SecretSealer {
  return {
    async seal(secret) {
      const key = generateDataKey();
      const wrapped = await kms.wrap(key);
      const nonce = randomBytes(NONCE);
      const c = createCipheriv("aes-256-gcm", key, nonce).setAAD(AAD);
      const body = Buffer.concat([c.update(secret), c.final()]);
      return Buffer.concat([wrapped, nonce, body, c.getAuthTag()]).toString("base64url");
    },
    async open(sealed) {
      const b = Buffer.from(sealed, "base64url");
      if (b.length < LOCAL_WRAPPED_KEY_BYTES + NONCE + TAG) throw dataLoss("sealed job secret is malformed");
      const key = await kms.unwrap(b.subarray(0, LOCAL_WRAPPED_KEY_BYTES));
      if (key.length !== DATA_KEY_BYTES) throw dataLoss("sealed job secret is malformed");
      const nonce = b.subarray(LOCAL_WRAPPED_KEY_BYTES, LOCAL_WRAPPED_KEY_BYTES + NONCE);
      const d = createDecipheriv("aes-256-gcm", key, nonce).setAAD(AAD);
      d.setAuthTag(b.subarray(b.length - TAG));
      try {
        return new Uint8Array(Buffer.concat([d.update(b.subarray(LOCAL_WRAPPED_KEY_BYTES + NONCE, b.length - TAG)), d.final()]));
      } catch {
        throw dataLoss("sealed job secret does not authenticate");
      }
    },
  };
}
