/**
 * Key management for encryption at rest. Each store has its own random 256-bit data key; only
 * the data key wrapped by a KMS key is persisted (with the KMS key id). `createLocalKms` wraps
 * with a master key taken from config; a cloud KMS can implement the same interface later.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import { dataLoss } from "../../domain/errors.js";

export const DATA_KEY_BYTES = 32;

export interface Kms {
  /** Identifies the wrapping key; stored next to every key it wraps. Not secret. */
  readonly keyId: string;
  wrap(dataKey: Uint8Array): Promise<Uint8Array>;
  /** Fails with DATA_LOSS when `wrapped` was not produced by this key or was altered. */
  unwrap(wrapped: Uint8Array): Promise<Uint8Array>;
}

/**
 * The id of a data key: "dk-" and 32 hex digits of HMAC-SHA256 under the key of a fixed label
 * (a key check value). It needs no storage, stays the same when the key is wrapped anew, tells
 * different keys apart and reveals nothing about the key. Snapshots record it as the key that
 * encrypted them.
 */
export function dataKeyId(dataKey: Uint8Array): string {
  return `dk-${createHmac("sha256", dataKey).update("vellum/data-key-id/v1").digest("hex").slice(0, 32)}`;
}

/** A fresh random 256-bit data key. */
export function generateDataKey(): Uint8Array {
  return new Uint8Array(randomBytes(DATA_KEY_BYTES));
}

/** Version byte of the local wrapping format. */
const WRAP_VERSION = 1;
const NONCE = 12;
const TAG = 16;
/** Length of a wrapped key: version(1) || nonce(12) || encrypted key(32) || GCM tag(16). */
export const LOCAL_WRAPPED_KEY_BYTES = 1 + NONCE + DATA_KEY_BYTES + TAG;

/**
 * A KMS whose single key is `masterKey` (32 bytes, copied). Wrapping is AES-256-GCM with a random
 * nonce; the associated data binds the format version and `keyId`, so a wrapped key presented
 * under another key id does not unwrap. Wrapped format: version || nonce || ciphertext || tag.
 */
export function createLocalKms(masterKey: Uint8Array, keyId: string): Kms {
  if (masterKey.length !== DATA_KEY_BYTES) throw new RangeError("master key must be 32 bytes");
  if (keyId.length === 0) throw new RangeError("key id must not be empty");
  const key = Buffer.from(masterKey); // a private copy
  const aad = Buffer.from(`vellum/data-key/v${WRAP_VERSION}\0${keyId}`, "utf8");

  return {
    keyId,
    async wrap(dataKey) {
      if (dataKey.length !== DATA_KEY_BYTES) throw new RangeError("data key must be 32 bytes");
      const nonce = randomBytes(NONCE);
      const c = createCipheriv("aes-256-gcm", key, nonce).setAAD(aad);
      const body = Buffer.concat([c.update(dataKey), c.final()]);
      return new Uint8Array(Buffer.concat([Buffer.of(WRAP_VERSION), nonce, body, c.getAuthTag()]));
    },
    async unwrap(wrapped) {
      const fail = (cause?: unknown) =>
        dataLoss(`data key wrapped under KMS key ${keyId} cannot be unwrapped: wrong key or damaged wrapping`, cause);
      if (wrapped.length !== LOCAL_WRAPPED_KEY_BYTES || wrapped[0] !== WRAP_VERSION) throw fail();
      const w = Buffer.from(wrapped.buffer, wrapped.byteOffset, wrapped.length);
      try {
        const d = createDecipheriv("aes-256-gcm", key, w.subarray(1, 1 + NONCE)).setAAD(aad);
        d.setAuthTag(w.subarray(w.length - TAG));
        const out = Buffer.concat([d.update(w.subarray(1 + NONCE, w.length - TAG)), d.final()]);
        return new Uint8Array(out);
      } catch (e) {
        throw fail(e);
      }
    },
  };
}

/** A store's key material: the data key to use now and the wrapped form to persist. */
export interface StoreDataKey {
  dataKey: Uint8Array;
  wrapped: { kmsKeyId: string; wrappedKey: Uint8Array };
}

/** Generates and wraps a new data key for a store created with `encrypt: true`. */
export async function createStoreDataKey(kms: Kms): Promise<StoreDataKey> {
  const dataKey = generateDataKey();
  return { dataKey, wrapped: { kmsKeyId: kms.keyId, wrappedKey: await kms.wrap(dataKey) } };
}
