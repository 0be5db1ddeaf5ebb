import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { bytesOf, rechunk } from "./byte-source.js";

async function all(it: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const c of it) out.push(c);
  return out;
}
const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
};
async function* gen(parts: Uint8Array[]) {
  yield* parts;
}

test("rechunk preserves the bytes and emits exactly `size`-byte pieces except a shorter last one", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), fc.integer({ min: 1, max: 128 }), async (parts, size) => {
      const out = await all(rechunk(gen(parts), size));
      assert.equal(concat(out), concat(parts));
      assert.ok(out.slice(0, -1).every((c) => c.length === size));
      assert.ok(out.every((c) => c.length > 0 && c.length <= size));
    }),
  );
});

test("rechunk passes large inputs through as subarrays and copies small ones into fresh buffers", async () => {
  const big = new Uint8Array(10).map((_, i) => i);
  const [a, b, tail] = await all(rechunk(gen([big]), 4));
  assert.is(a.buffer, big.buffer, "zero-copy");
  assert.is(b.buffer, big.buffer);
  assert.equal([...tail], [8, 9]);
  const pieces = await all(rechunk(gen([new Uint8Array([1]), new Uint8Array([2]), new Uint8Array([3])]), 2));
  assert.equal(pieces.map((p) => [...p]), [[1, 2], [3]]);
  assert.is.not(pieces[0].buffer, pieces[1].buffer, "each emitted buffer is handed over, not reused");
});

test("rechunk rejects non-byte chunks and bad sizes", async () => {
  const text = await all(rechunk(gen(["text" as unknown as Uint8Array]), 4)).catch((e: unknown) => e);
  assert.instance(text, TypeError);
  assert.match((text as Error).message, /yielded a string/);
  const zero = await all(rechunk(gen([]), 0)).catch((e: unknown) => e);
  assert.instance(zero, RangeError);
});

test("bytesOf reads Uint8Array, arrays of chunks, async iterables, ReadableStreams and Blobs", async () => {
  const bytes = new Uint8Array([1, 2, 3, 4, 5]);
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(bytes.subarray(0, 2));
      c.enqueue(bytes.subarray(2));
      c.close();
    },
  });
  for (const source of [bytes, [bytes.subarray(0, 1), bytes.subarray(1)], gen([bytes]), stream, new Blob([bytes])]) {
    assert.equal(concat(await all(bytesOf(source))), bytes);
  }
  assert.throws(() => bytesOf(42 as unknown as Uint8Array), TypeError);
});

test("a ReadableStream abandoned mid-way is cancelled and unlocked", async () => {
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      c.enqueue(new Uint8Array(8));
    },
    cancel() {
      cancelled = true;
    },
  });
  for await (const _ of bytesOf(stream)) break;
  assert.ok(cancelled);
  assert.not.ok(stream.locked);
});

test.run();
