import { test } from "uvu";
import * as assert from "uvu/assert";
import { coalesceViews } from "./coalesce-views.js";

async function collect(it: AsyncIterable<Uint8Array>) {
  const out: Uint8Array[] = [];
  for await (const x of it) out.push(x);
  return out;
}
async function* from(...pieces: Uint8Array[]) {
  yield* pieces;
}

test("adjacent views of one buffer merge without copying; the bytes are unchanged", async () => {
  const a = new Uint8Array(100).map((_, i) => i);
  const out = await collect(coalesceViews(from(a.subarray(0, 10), a.subarray(10, 40), a.subarray(40, 41)), 1000));
  assert.is(out.length, 1);
  assert.is(out[0].buffer, a.buffer, "a view of the same memory");
  assert.equal([...out[0]], [...a.subarray(0, 41)]);
});

test("gaps, other buffers, reordering and the size cap all start a new piece", async () => {
  const a = new Uint8Array(100).map((_, i) => i);
  const b = new Uint8Array(5).fill(9);
  const pieces = [a.subarray(0, 10), a.subarray(11, 20), b, a.subarray(20, 30), a.subarray(30, 60), a.subarray(60, 95), new Uint8Array(0)];
  const out = await collect(coalesceViews(from(...pieces), 40));
  assert.equal(
    out.map((x) => [x.buffer === a.buffer ? "a" : "b", x.byteOffset, x.length]),
    [["a", 0, 10], ["a", 11, 9], ["b", 0, 5], ["a", 20, 40], ["a", 60, 35]],
  );
  const joined = Buffer.concat(out);
  assert.equal(joined, Buffer.concat(pieces), "same bytes in the same order");
});

test.run();
