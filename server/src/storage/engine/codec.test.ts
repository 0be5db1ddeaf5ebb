import { test } from "uvu";
import * as assert from "uvu/assert";
import { MIN_SAVING_RATIO, decodeChunk, encodeChunk, looksIncompressible } from "./codec.js";
import { jsonRecords, noise } from "./engine-test-support.js";

const json = jsonRecords(2000);

test("compressible chunks are stored as zstd and decode to the original", () => {
  const e = encodeChunk(json, { compress: true });
  assert.is(e.codec, "zstd");
  assert.ok(e.data.length < json.length / 3, `zstd ${e.data.length} of ${json.length}`);
  assert.equal(Buffer.from(decodeChunk(e.codec, e.data, json.length)), Buffer.from(json));
});

test("incompressible chunks are stored raw", () => {
  const random = noise(100_000, 1);
  const e = encodeChunk(random, { compress: true });
  assert.is(e.codec, "raw");
  assert.ok(e.data === random);
  assert.ok(decodeChunk("raw", e.data, random.length) === random);
});

test("zstd is kept only when it saves at least MIN_SAVING_RATIO", () => {
  // Noise followed by zeros: the compressed size lands on both sides of the threshold.
  const seen = new Set<string>();
  for (const zeros of [0, 2000, 4000, 6000, 8000, 20_000]) {
    const plain = new Uint8Array(100_000);
    plain.set(noise(100_000 - zeros, 2));
    const e = encodeChunk(plain, { compress: true });
    seen.add(e.codec);
    if (e.codec === "zstd") assert.ok(e.data.length <= plain.length * (1 - MIN_SAVING_RATIO));
    else assert.ok(e.data === plain);
    assert.equal(Buffer.from(decodeChunk(e.codec, e.data, plain.length)), Buffer.from(plain));
  }
  assert.equal([...seen].sort(), ["raw", "zstd"]);
});

test("the entropy probe skips zstd only for data that cannot compress", () => {
  assert.ok(looksIncompressible(noise(64 * 1024, 3)), "random bytes");
  assert.not.ok(looksIncompressible(json), "JSON records");
  const b64 = Buffer.from(Buffer.from(noise(48 * 1024, 4)).toString("base64"));
  assert.not.ok(looksIncompressible(b64), "base64 text (6 bits/byte) is still tried");
  assert.is(encodeChunk(b64, { compress: true }).codec, "zstd");
  const sparse = new Uint8Array(64 * 1024);
  sparse.set(noise(32 * 1024, 5));
  assert.not.ok(looksIncompressible(sparse), "half zeros");
  assert.is(encodeChunk(sparse, { compress: true }).codec, "zstd");
  assert.not.ok(looksIncompressible(noise(300, 6)), "tiny chunks are always tried");
});

test("compress: false and empty input store raw", () => {
  assert.is(encodeChunk(json, { compress: false }).codec, "raw");
  assert.is(encodeChunk(new Uint8Array(0), { compress: true }).codec, "raw");
});

test("the level is honoured and validated", () => {
  const l3 = encodeChunk(json, { compress: true });
  const l19 = encodeChunk(json, { compress: true, level: 19 });
  assert.ok(l19.data.length < l3.data.length, `${l19.data.length} vs ${l3.data.length}`);
  assert.equal(Buffer.from(decodeChunk("zstd", l19.data, json.length)), Buffer.from(json));
  assert.throws(() => encodeChunk(json, { compress: true, level: 0 }), (e: unknown) => e instanceof RangeError);
  assert.throws(() => encodeChunk(json, { compress: true, level: 20 }), (e: unknown) => e instanceof RangeError);
});

test("corrupt or mis-sized zstd data fails to decode", () => {
  const e = encodeChunk(json, { compress: true });
  const bad = Uint8Array.from(e.data);
  bad[bad.length >> 1] ^= 0x10;
  assert.throws(() => decodeChunk("zstd", bad, json.length));
  assert.throws(() => decodeChunk("zstd", e.data, json.length - 1)); // output capped at the expected size
  assert.throws(() => decodeChunk("zstd", e.data, json.length + 1), /expected/);
  assert.throws(() => decodeChunk("raw", json, json.length + 1), /expected/);
});

test.run();
