import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createBufferBudget } from "./buffer-budget.js";

const test = suite("buffer budget");

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}

test("acquire grants what fits and queues the rest first come first served", async () => {
  const b = createBufferBudget(100);
  const a = await b.acquire(60);
  const order: string[] = [];
  const big = b.acquire(50).then((g) => (order.push("big"), g));
  const small = b.acquire(10).then((g) => (order.push("small"), g));
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(order, [], "a waiter is not overtaken, even by a request that would fit");
  assert.is(b.usedBytes, 60);
  a.release();
  const [g1, g2] = await Promise.all([big, small]);
  assert.equal(order, ["big", "small"]);
  assert.is(b.usedBytes, 60);
  g1.release();
  g1.release(); // a second release gives nothing back twice
  g2.release();
  assert.is(b.usedBytes, 0);
});

test("a request above the limit waits for the whole budget and takes it", async () => {
  const b = createBufferBudget(100);
  const held = b.take(1);
  let granted = false;
  const p = b.acquire(500).then((g) => ((granted = true), g));
  await new Promise((r) => setTimeout(r, 10));
  assert.is(granted, false);
  held.release();
  const g = await p;
  assert.is(g.bytes, 100);
  assert.is(b.usedBytes, 100);
});

test("tryAcquire never waits and never overtakes a waiter; take may exceed the limit", async () => {
  const b = createBufferBudget(100);
  const a = b.tryAcquire(80)!;
  assert.ok(a);
  assert.is(b.tryAcquire(30), undefined);
  const waiting = b.acquire(30);
  assert.is(b.tryAcquire(10), undefined, "someone is waiting");
  const forced = b.take(50);
  assert.is(b.usedBytes, 130);
  forced.release();
  a.release();
  (await waiting).release();
  assert.is(b.usedBytes, 0);
});

test("an aborted wait leaves the queue and lets the next waiter in", async () => {
  const b = createBufferBudget(100);
  const a = b.take(90);
  const ac = new AbortController();
  const first = b.acquire(50, ac.signal);
  const second = b.acquire(10);
  ac.abort(new Error("client gone"));
  assert.match((await rejection(first)).message, /client gone/);
  const g = await second; // 90 + 10 fits once the head waiter is gone
  assert.is(b.usedBytes, 100);
  g.release();
  a.release();
  assert.match((await rejection(b.acquire(1, ac.signal))).message, /client gone/, "an aborted signal fails at once");
});

test.run();
