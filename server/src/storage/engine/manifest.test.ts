import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { digestOf } from "../../domain/digest.js";
import { isDomainError } from "../../domain/errors.js";
import { type Manifest, createManifest, decodeManifest, encodeManifest, locateRange } from "./manifest.js";

const manifestOf = (sizes: number[]): Manifest =>
  createManifest(sizes.map((size, i) => ({ digest: digestOf(new Uint8Array([i & 0xff, i >> 8])), size })));

/** Content whose byte at position p is p mod 251, so slices are easy to compare. */
const bytesOf = (n: number) => Uint8Array.from({ length: n }, (_, p) => p % 251);

/** Reassembles [offset, offset + length) from the located chunks. */
function assemble(m: Manifest, content: Uint8Array, offset: number, length: number): Uint8Array {
  const s = locateRange(m, offset, length);
  const parts: Uint8Array[] = [];
  for (let i = s.first; i < s.end; i++) {
    const chunk = content.subarray(m.offsets[i], m.offsets[i + 1]);
    parts.push(chunk.subarray(i === s.first ? s.startInFirst : 0, i === s.end - 1 ? s.endInLast : chunk.length));
  }
  return new Uint8Array(Buffer.concat(parts));
}

test("offsets are cumulative", () => {
  const m = manifestOf([3, 5, 1]);
  assert.equal(m.offsets, [0, 3, 8, 9]);
  assert.is(m.size, 9);
  assert.is(manifestOf([]).size, 0);
  assert.throws(() => manifestOf([3, 0]), (e: unknown) => e instanceof RangeError);
});

test("locateRange matches slicing the concatenation", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 0, maxLength: 40 }),
      fc.nat(),
      fc.nat(),
      (sizes, a, b) => {
        const m = manifestOf(sizes);
        const content = bytesOf(m.size);
        const offset = a % (m.size + 1);
        const length = b % (m.size + 20); // may run past the end: clipped
        const got = assemble(m, content, offset, length);
        assert.equal(Buffer.from(got), Buffer.from(content.subarray(offset, offset + length)));
        const s = locateRange(m, offset, length);
        if (s.first < s.end) {
          // Only the chunks that hold requested bytes are touched.
          assert.ok(s.startInFirst < sizes[s.first] && s.endInLast > 0 && s.endInLast <= sizes[s.end - 1]);
        }
      },
    ),
    { numRuns: 500, seed: 42 },
  );
});

test("locateRange edges: chunk boundaries, empty ranges, past the end", () => {
  const m = manifestOf([10, 10, 10]);
  assert.equal(locateRange(m, 10, 10), { first: 1, end: 2, startInFirst: 0, endInLast: 10 });
  assert.equal(locateRange(m, 9, 2), { first: 0, end: 2, startInFirst: 9, endInLast: 1 });
  assert.equal(locateRange(m, 0, 30), { first: 0, end: 3, startInFirst: 0, endInLast: 10 });
  assert.equal(locateRange(m, 30, 5), { first: 0, end: 0, startInFirst: 0, endInLast: 0 });
  assert.equal(locateRange(m, 5, 0), { first: 0, end: 0, startInFirst: 0, endInLast: 0 });
  assert.throws(() => locateRange(m, 31, 1), (e: unknown) => isDomainError(e, "OutOfRange"));
  assert.throws(() => locateRange(m, -1, 1), (e: unknown) => e instanceof RangeError);
  assert.throws(() => locateRange(m, 0, 1.5), (e: unknown) => e instanceof RangeError);
});

test("encode/decode round-trips and is compact", () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 2 ** 40 }), { maxLength: 30 }), (sizes) => {
      const m = manifestOf(sizes);
      const back = decodeManifest(encodeManifest(m));
      assert.equal(back.offsets, m.offsets);
      assert.equal(back.entries.map((e) => e.digest.toHex()), m.entries.map((e) => e.digest.toHex()));
    }),
    { numRuns: 100, seed: 1 },
  );
  const m = manifestOf(Array.from({ length: 1000 }, () => 40_000)); // 3-byte varints
  assert.is(encodeManifest(m).length, 4 + 2 + 1000 * 35 + 32);
});

test("a damaged manifest is DATA_LOSS", () => {
  const enc = encodeManifest(manifestOf([100, 200, 300]));
  const isLoss = (e: unknown) => isDomainError(e, "DataLoss");
  for (const i of [0, 3, 4, 10, enc.length - 40, enc.length - 1]) {
    const bad = Uint8Array.from(enc);
    bad[i] ^= 1;
    assert.throws(() => decodeManifest(bad), isLoss);
  }
  assert.throws(() => decodeManifest(enc.subarray(0, enc.length - 1)), isLoss);
  assert.throws(() => decodeManifest(new Uint8Array(3)), isLoss);
});

test.run();
