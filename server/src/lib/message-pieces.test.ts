import { test } from "uvu";
import * as assert from "uvu/assert";
import { messagePieces } from "./message-pieces.js";

async function run(pieces: Uint8Array[], max: number, min: number) {
  const out: Uint8Array[] = [];
  for await (const p of messagePieces((async function* () { yield* pieces; })(), max, min)) out.push(p);
  return out;
}
const bytes = (n: number, seed: number) => new Uint8Array(n).map((_, i) => (i * 31 + seed) & 0xff);

test("large pieces go out as zero-copy slices of at most max bytes", async () => {
  const big = bytes(2500, 1);
  const out = await run([big], 1000, 100);
  assert.equal(out.map((p) => p.length), [1000, 1000, 500]);
  assert.ok(out.every((p) => p.buffer === big.buffer), "views of the input");
});

test("small pieces are packed together; order and bytes are kept; nothing exceeds max", async () => {
  const pieces = [bytes(30, 1), bytes(50, 2), bytes(400, 3), bytes(60, 4), bytes(10, 5), bytes(1000, 6), bytes(0, 7), bytes(99, 8)];
  const out = await run(pieces, 300, 100);
  assert.ok(out.every((p) => p.length > 0 && p.length <= 300), out.map((p) => p.length).join(" "));
  assert.equal(Buffer.concat(out), Buffer.concat(pieces));
  // 30+50 packed, flushed before the 400 (sliced 300+100), 60+10 packed, flushed before the 1000, 99 last.
  assert.equal(out.map((p) => p.length), [80, 300, 100, 70, 300, 300, 300, 100, 99]);
});

test("small pieces are gathered only up to the zero-copy size, not read ahead to the maximum", async () => {
  const pieces = [bytes(40, 1), bytes(40, 2), bytes(40, 3), bytes(40, 4)];
  const out = await run(pieces, 300, 100);
  assert.equal(out.map((p) => p.length), [120, 40]);
  assert.equal(Buffer.concat(out), Buffer.concat(pieces));
  const single = bytes(20, 9);
  const [alone] = await run([single], 300, 100);
  assert.ok(alone.buffer === single.buffer, "a single small piece goes out as it is");
});

test("bad sizes are rejected", async () => {
  try {
    await run([bytes(1, 1)], 10, 20);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, RangeError);
  }
});

test.run();
