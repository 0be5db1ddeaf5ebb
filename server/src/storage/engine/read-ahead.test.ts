import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createBufferBudget } from "../../lib/buffer-budget.js";
import { readAhead, type ReadAheadOptions } from "./read-ahead.js";

const test = suite("read-ahead paced by the consumer, counted against the budget");

const KiB = 1024;

/** `n` groups of `size` bytes; records how many were fetched and dropped. */
function harness(n: number, size: number, o: Partial<ReadAheadOptions<number, number>> = {}) {
  const fetched: number[] = [];
  const dropped: number[] = [];
  const rooms: number[] = [];
  const budget = o.budget ?? createBufferBudget(1024 * KiB * 1024);
  const gen = readAhead<number, number>(
    (room) =>
      (async function* () {
        for (let i = 0; i < n; i++) {
          rooms.push(room());
          yield i;
        }
      })(),
    {
      concurrency: 8,
      minAheadBytes: 256 * KiB,
      maxAheadBytes: 2048 * KiB,
      budget,
      cost: () => size,
      fetch: async (i) => (fetched.push(i), i),
      drop: (i) => void dropped.push(i),
      shedAfterMs: 60_000,
      ...o,
    },
  );
  return { gen, fetched, dropped, rooms, budget };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

test("yields every group in order", async () => {
  const h = harness(50, 64 * KiB);
  const out: number[] = [];
  for await (const i of h.gen) out.push(i);
  assert.equal(out, [...Array(50).keys()]);
  assert.is(h.budget.usedBytes, 0);
});

test("a consumer that stops taking holds only the starting read-ahead", async () => {
  const h = harness(100, 64 * KiB);
  assert.equal(await h.gen.next(), { value: 0, done: false });
  await tick();
  assert.is(h.fetched.length, 4, "256 KiB ahead: four 64 KiB groups");
  assert.is(h.budget.usedBytes, 256 * KiB);
  await tick();
  assert.is(h.fetched.length, 4, "nothing more while the consumer waits");
  await h.gen.return(undefined);
  assert.is(h.budget.usedBytes, 0);
  await tick();
  assert.equal(h.dropped, [1, 2, 3], "fetched and never handed out: dropped");
});

test("read-ahead grows with what the consumer takes, up to the maximum", async () => {
  const h = harness(200, 64 * KiB);
  let maxAhead = 0;
  for await (const i of h.gen) maxAhead = Math.max(maxAhead, h.fetched.length - i);
  assert.is(maxAhead, 8, "concurrency bounds it once the allowance is large");
  assert.ok(h.rooms.at(-1)! >= 256 * KiB);
});

test("a consumer that stalls after reading fast gives its read-ahead back, and gets every group in order when it resumes", async () => {
  const h = harness(100, 64 * KiB, { shedAfterMs: 30 });
  for (let i = 0; i < 40; i++) assert.is((await h.gen.next()).value, i);
  await tick();
  assert.ok(h.budget.usedBytes > 256 * KiB, "a fast consumer reads ahead more than the start");
  await new Promise((r) => setTimeout(r, 60));
  assert.is(h.budget.usedBytes, 64 * KiB, "only the group being consumed");
  assert.ok(h.dropped.length > 0 && h.dropped.every((i) => i >= 40));
  const rest: number[] = [];
  for await (const i of h.gen) rest.push(i);
  assert.equal(rest, [...Array(60).keys()].map((i) => i + 40));
  assert.is(h.budget.usedBytes, 0);
});

test("without room in the budget only the group the consumer waits for is fetched, and the read still completes", async () => {
  const budget = createBufferBudget(100 * KiB);
  const hog = budget.take(100 * KiB);
  const h = harness(20, 64 * KiB, { budget });
  assert.equal(await h.gen.next(), { value: 0, done: false });
  await tick();
  assert.is(h.fetched.length, 1);
  let n = 1;
  for await (const _ of h.gen) {
    n++;
    assert.ok(h.fetched.length <= n + 1, "at most the next group beyond the one consumed");
  }
  assert.is(n, 20);
  hog.release();
  assert.is(budget.usedBytes, 0);
});

test("an abort releases every grant at once, even if the generator is never resumed, and fails the read", async () => {
  const ac = new AbortController();
  const h = harness(100, 64 * KiB, { signal: ac.signal });
  await h.gen.next();
  await tick();
  assert.ok(h.budget.usedBytes > 0);
  ac.abort(new Error("client gone"));
  assert.is(h.budget.usedBytes, 0);
  let err: unknown;
  try {
    await h.gen.next();
  } catch (e) {
    err = e;
  }
  assert.match(String(err), /client gone/);
});

test("a failed fetch fails the read when its turn comes", async () => {
  const h = harness(10, 64 * KiB, { fetch: async (i) => (i === 3 ? Promise.reject(new Error("pack gone")) : i) });
  const out: number[] = [];
  let err: unknown;
  try {
    for await (const i of h.gen) out.push(i);
  } catch (e) {
    err = e;
  }
  assert.equal(out, [0, 1, 2]);
  assert.match(String(err), /pack gone/);
  assert.is(h.budget.usedBytes, 0);
});

test.run();
