/**
 * Per-chunk encryption at rest: AES-256-GCM under the store's data key.
 *
 * Record format: nonce (12 random bytes) || ciphertext (same length as the encoded chunk) ||
 * GCM tag (16 bytes); CHUNK_CRYPTO_OVERHEAD = 28 bytes per chunk.
 *
 * Associated data (authenticated, not stored): the ASCII label "vellum/chunk/v1", a zero byte,
 * the codec id (1 byte), the 32-byte plaintext digest, then the UTF-8 store id. A record moved to
 * another digest, another store, or relabelled with another codec fails authentication.
 *
 * Nonces are random, so one data key must encrypt fewer than 2^32 chunks (NIST SP 800-38D);
 * at 32 KiB chunks that is about 128 TiB of unique data per store.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { Sha256 } from "../../domain/digest.js";
import { CODEC_IDS, type Codec } from "./types.js";

export const CHUNK_NONCE_BYTES = 12;
export const CHUNK_TAG_BYTES = 16;
export const CHUNK_CRYPTO_OVERHEAD = CHUNK_NONCE_BYTES + CHUNK_TAG_BYTES;

/** Algorithm label recorded in snapshot and store encryption metadata. */
export const CHUNK_ENCRYPTION_ALGORITHM = "AES-256-GCM/chunk-v1";

/** What a snapshot records about how its chunks are encrypted. */
export interface EncryptionMetadata {
  algorithm: string;
  /** KMS key that wraps the store's data key. */
  keyId: string;
}

/** Binds a record to its chunk. */
export interface ChunkBinding {
  storeId: string;
  digest: Sha256;
  codec: Codec;
}

const LABEL = Buffer.from("vellum/chunk/v1\0", "ascii");

export function chunkAad(b: ChunkBinding): Buffer {
  return Buffer.concat([LABEL, Buffer.of(CODEC_IDS[b.codec]), b.digest.bytes, Buffer.from(b.storeId, "utf8")]);
}

function checkKey(key: Uint8Array): void {
  if (key.length !== 32) throw new RangeError("chunk data key must be 32 bytes");
}

/** Encrypts an encoded chunk into a record (see format above). */
export function encryptChunk(key: Uint8Array, data: Uint8Array, binding: ChunkBinding): Uint8Array {
  checkKey(key);
  const nonce = randomBytes(CHUNK_NONCE_BYTES);
  const c = createCipheriv("aes-256-gcm", key, nonce).setAAD(chunkAad(binding));
  const out = new Uint8Array(data.length + CHUNK_CRYPTO_OVERHEAD);
  out.set(nonce, 0);
  const body = c.update(data);
  out.set(body, CHUNK_NONCE_BYTES);
  const tail = c.final(); // empty for GCM, kept for completeness
  out.set(tail, CHUNK_NONCE_BYTES + body.length);
  out.set(c.getAuthTag(), out.length - CHUNK_TAG_BYTES);
  return out;
}

/** Decrypts a record. Throws when it is too short or fails authentication. */
export function decryptChunk(key: Uint8Array, record: Uint8Array, binding: ChunkBinding): Uint8Array {
  checkKey(key);
  if (record.length < CHUNK_CRYPTO_OVERHEAD) throw new RangeError("encrypted chunk record is too short");
  const r = Buffer.from(record.buffer, record.byteOffset, record.length);
  const d = createDecipheriv("aes-256-gcm", key, r.subarray(0, CHUNK_NONCE_BYTES)).setAAD(chunkAad(binding));
  d.setAuthTag(r.subarray(r.length - CHUNK_TAG_BYTES));
  const body = d.update(r.subarray(CHUNK_NONCE_BYTES, r.length - CHUNK_TAG_BYTES));
  const tail = d.final(); // throws when authentication fails
  return tail.length === 0 ? body : Buffer.concat([body, tail]);
}
