import { test } from "uvu";
import * as assert from "uvu/assert";
import type { MatchCount } from "./match-count.js";
import { createMatchEstimates } from "./match-estimates.js";

/** A count that answers `answers` in turn and counts its calls. */
function counter(...answers: (MatchCount | Error)[]) {
  let calls = 0;
  return {
    calls: () => calls,
    count: async () => {
      const a = answers[Math.min(calls++, answers.length - 1)];
      if (a instanceof Error) throw a;
      return a;
    },
  };
}

test("an estimate is given again until it is ttlMs old, then counted afresh", async () => {
  let t = 0;
  const estimates = createMatchEstimates({ ttlMs: 1000, now: () => t });
  const c = counter({ n: 5000, estimated: true }, { n: 700, estimated: false });
  assert.equal(await estimates.count("a", c.count), { n: 5000, estimated: true });
  t = 999;
  assert.equal(await estimates.count("a", c.count), { n: 5000, estimated: true });
  assert.is(c.calls(), 1);
  t = 1000;
  assert.equal(await estimates.count("a", c.count), { n: 700, estimated: false }, "deletions brought it under the exact limit");
  assert.is(c.calls(), 2);
});

test("held gives a fresh estimate only", async () => {
  let t = 0;
  const estimates = createMatchEstimates({ ttlMs: 1000, now: () => t });
  assert.is(estimates.held("a"), undefined);
  await estimates.count("a", counter({ n: 5000, estimated: true }).count);
  await estimates.count("b", counter({ n: 12, estimated: false }).count);
  assert.is(estimates.held("a"), 5000);
  assert.is(estimates.held("b"), undefined, "an exact count is not kept");
  t = 1000;
  assert.is(estimates.held("a"), undefined);
});

test("exact counts and failed counts are not kept", async () => {
  const estimates = createMatchEstimates({ now: () => 0 });
  const exact = counter({ n: 12, estimated: false }, { n: 13, estimated: false });
  assert.is((await estimates.count("a", exact.count)).n, 12);
  assert.is((await estimates.count("a", exact.count)).n, 13);
  const failing = counter(new Error("connection lost"), { n: 4000, estimated: true });
  await estimates.count("b", failing.count).then(
    () => assert.unreachable("the count failed"),
    (err: Error) => assert.is(err.message, "connection lost"),
  );
  assert.equal(await estimates.count("b", failing.count), { n: 4000, estimated: true });
  assert.is(failing.calls(), 2);
});

test("keys are apart: another filter or store counts on its own", async () => {
  const estimates = createMatchEstimates({ now: () => 0 });
  await estimates.count("store-a|{}", counter({ n: 2000, estimated: true }).count);
  assert.equal(await estimates.count("store-b|{}", counter({ n: 9000, estimated: true }).count), { n: 9000, estimated: true });
  assert.equal(await estimates.count("store-a|{}", counter({ n: 1, estimated: false }).count), { n: 2000, estimated: true });
  const long = "x".repeat(1 << 20);
  await estimates.count(`${long}a`, counter({ n: 5000, estimated: true }).count);
  assert.equal(await estimates.count(`${long}b`, counter({ n: 6000, estimated: true }).count), { n: 6000, estimated: true }, "long keys that differ at the end");
});

test("at most maxEntries are held, the oldest dropped first; a ttl of 0 keeps nothing", async () => {
  const estimates = createMatchEstimates({ maxEntries: 2, now: () => 0 });
  for (const k of ["a", "b", "c"]) await estimates.count(k, counter({ n: 3000, estimated: true }).count);
  const again = counter({ n: 4000, estimated: true });
  assert.is((await estimates.count("b", again.count)).n, 3000);
  assert.is((await estimates.count("c", again.count)).n, 3000);
  assert.is((await estimates.count("a", again.count)).n, 4000, "a was dropped when c came");
  const off = createMatchEstimates({ ttlMs: 0, now: () => 0 });
  const c = counter({ n: 3000, estimated: true });
  await off.count("a", c.count);
  await off.count("a", c.count);
  assert.is(c.calls(), 2);
});

test.run();
