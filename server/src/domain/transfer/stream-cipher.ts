import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import { invalidField } from "../errors.js";

/**
 * Chunked AES-256-GCM for export archives (docs/export-format.md). The plaintext is cut into
 * CHUNK_BYTES pieces (the last may be shorter; empty content is one empty chunk); each piece is
 * sealed on its own with nonce = prefix(7) || index(uint32 BE) || final(1 byte: 1 on the last
 * chunk, else 0) and associated data = the archive entry's name, and written as ciphertext || tag.
 * Reordering, truncation, extension and moving a chunk to another entry all fail authentication.
 */
export const CIPHER_ALGORITHM = "AES-256-GCM-CHUNKED";
export const CHUNK_BYTES = 64 * 1024;
export const KEY_BYTES = 32;
export const NONCE_PREFIX_BYTES = 7;
const TAG_BYTES = 16;

/** Ciphertext size of `plainSize` bytes: one tag per chunk, at least one chunk. */
export const sealedSize = (plainSize: number): number => plainSize + TAG_BYTES * Math.max(1, Math.ceil(plainSize / CHUNK_BYTES));

/** A key check value: tells a wrong key apart before any content is decrypted, reveals nothing about it. */
export const keyCheck = (key: Uint8Array): string => createHmac("sha256", key).update("vellum/export-key-check/v1").digest("hex").slice(0, 32);

/** Throws INVALID_ARGUMENT under `field` unless `key` is 32 bytes. */
export function checkKey(key: Uint8Array, field: string): void {
  if (key.length !== KEY_BYTES) throw invalidField(field, `must be ${KEY_BYTES} bytes (AES-256), got ${key.length}`);
}

export const newNoncePrefix = (): Buffer => randomBytes(NONCE_PREFIX_BYTES);

function nonce(prefix: Uint8Array, index: number, final: boolean): Buffer {
  const n = Buffer.alloc(12);
  Buffer.from(prefix).copy(n, 0, 0, NONCE_PREFIX_BYTES);
  n.writeUInt32BE(index, NONCE_PREFIX_BYTES);
  n[11] = final ? 1 : 0;
  return n;
}

/** Re-cuts a byte stream into pieces of exactly `size` bytes (the last may be shorter); yields one empty piece for empty input. */
async function* pieces(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<{ piece: Buffer; last: boolean }> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let ready: Buffer | undefined;
  const take = (): Buffer => {
    const all = pending.length === 1 ? pending[0] : Buffer.concat(pending);
    const out = all.subarray(0, size);
    const rest = all.subarray(size);
    pending = rest.length ? [rest] : [];
    pendingBytes = rest.length;
    return out;
  };
  for await (const c of source) {
    pending.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength));
    pendingBytes += c.byteLength;
    // A full piece is held back until more bytes arrive, so the last one is known to be last.
    while (pendingBytes > size) {
      if (ready) yield { piece: ready, last: false };
      ready = take();
    }
  }
  if (pendingBytes > 0 || !ready) {
    if (ready) yield { piece: ready, last: false };
    yield { piece: take(), last: true };
  } else yield { piece: ready, last: true };
}

/** Encrypts `source` for archive entry `entry`. */
export async function* seal(source: AsyncIterable<Uint8Array>, key: Uint8Array, prefix: Uint8Array, entry: string): AsyncGenerator<Uint8Array> {
  let index = 0;
  for await (const { piece, last } of pieces(source, CHUNK_BYTES)) {
    const c = createCipheriv("aes-256-gcm", key, nonce(prefix, index++, last)).setAAD(Buffer.from(entry, "utf8"));
    yield Buffer.concat([c.update(piece), c.final(), c.getAuthTag()]);
  }
}

/** Decrypts what `seal` produced; a wrong key, altered, reordered or truncated data is INVALID_ARGUMENT/DATA_LOSS via `onBad`. */
export async function* open(
  source: AsyncIterable<Uint8Array>,
  key: Uint8Array,
  prefix: Uint8Array,
  entry: string,
  onBad: (message: string) => Error,
): AsyncGenerator<Uint8Array> {
  let index = 0;
  let sawLast = false;
  for await (const { piece, last } of pieces(source, CHUNK_BYTES + TAG_BYTES)) {
    if (piece.length < TAG_BYTES) throw onBad(`${entry}: truncated encrypted chunk ${index}`);
    const d = createDecipheriv("aes-256-gcm", key, nonce(prefix, index, last)).setAAD(Buffer.from(entry, "utf8"));
    d.setAuthTag(piece.subarray(piece.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([d.update(piece.subarray(0, piece.length - TAG_BYTES)), d.final()]);
    } catch {
      throw onBad(`${entry}: encrypted chunk ${index} does not authenticate (altered, reordered or truncated)`);
    }
    index++;
    sawLast = last;
    if (plain.length) yield plain;
  }
  if (!sawLast) throw onBad(`${entry}: encrypted data ends early`);
}
