import { test } from "uvu";
import * as assert from "uvu/assert";
import { digestOf } from "../../domain/digest.js";
import { CHUNK_CRYPTO_OVERHEAD, CHUNK_NONCE_BYTES, decryptChunk, encryptChunk } from "./chunk-crypto.js";
import { noise } from "./engine-test-support.js";
import { generateDataKey } from "./kms.js";

const key = generateDataKey();
const plain = noise(10_000, 1);
const digest = digestOf(plain);
const binding = { storeId: "store-a", digest, codec: "raw" as const };

test("round trip; record is nonce || ciphertext || tag", () => {
  const r = encryptChunk(key, plain, binding);
  assert.is(r.length, plain.length + CHUNK_CRYPTO_OVERHEAD);
  assert.ok(!Buffer.from(r).includes(Buffer.from(plain.subarray(0, 64))));
  assert.equal(Buffer.from(decryptChunk(key, r, binding)), Buffer.from(plain));
  const again = encryptChunk(key, plain, binding);
  assert.not.equal(Buffer.from(again.subarray(0, CHUNK_NONCE_BYTES)), Buffer.from(r.subarray(0, CHUNK_NONCE_BYTES)));
  assert.equal(Buffer.from(decryptChunk(key, again, binding)), Buffer.from(plain));
  assert.is(decryptChunk(key, encryptChunk(key, new Uint8Array(0), binding), binding).length, 0);
});

test("the record is bound to its store, digest and codec", () => {
  const r = encryptChunk(key, plain, binding);
  const other = digestOf(noise(10, 2));
  assert.throws(() => decryptChunk(key, r, { ...binding, storeId: "store-b" }));
  assert.throws(() => decryptChunk(key, r, { ...binding, digest: other }));
  assert.throws(() => decryptChunk(key, r, { ...binding, codec: "zstd" }));
  assert.throws(() => decryptChunk(generateDataKey(), r, binding));
});

test("any flipped bit and truncation fail authentication", () => {
  const r = encryptChunk(key, plain, binding);
  for (const i of [0, CHUNK_NONCE_BYTES, r.length >> 1, r.length - 1]) {
    const bad = Uint8Array.from(r);
    bad[i] ^= 0x80;
    assert.throws(() => decryptChunk(key, bad, binding));
  }
  assert.throws(() => decryptChunk(key, r.subarray(0, r.length - 1), binding));
  assert.throws(() => decryptChunk(key, r.subarray(0, 10), binding), /too short/);
  assert.throws(() => encryptChunk(new Uint8Array(16), plain, binding), (e: unknown) => e instanceof RangeError);
});

test.run();
