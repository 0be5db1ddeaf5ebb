import { test } from "uvu";
import * as assert from "uvu/assert";
import { orderedPool } from "./ordered-pool.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("yields in input order with bounded concurrency", async () => {
  let inFlight = 0;
  let max = 0;
  const out: number[] = [];
  for await (const x of orderedPool([5, 1, 4, 2, 3, 0, 6], 3, async (n) => {
    inFlight++;
    max = Math.max(max, inFlight);
    await sleep(n * 3);
    inFlight--;
    return n * 10;
  })) {
    out.push(x);
  }
  assert.equal(out, [50, 10, 40, 20, 30, 0, 60]);
  assert.is(max, 3);
});

test("pulls the source lazily and closes it when the consumer stops", async () => {
  let pulled = 0;
  let closed = false;
  async function* source() {
    try {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield i;
      }
    } finally {
      closed = true;
    }
  }
  for await (const x of orderedPool(source(), 2, async (n) => n)) if (x === 3) break;
  assert.ok(pulled <= 6, `pulled ${pulled}`);
  assert.ok(closed);
});

test("a failure surfaces in order; abandoned failures are not unhandled", async () => {
  const unhandled: unknown[] = [];
  const on = (e: unknown) => unhandled.push(e);
  process.on("unhandledRejection", on);
  const got: number[] = [];
  try {
    for await (const x of orderedPool([1, 2, 3, 4, 5], 5, async (n) => {
      await sleep(n === 3 ? 1 : 10);
      if (n >= 3) throw new Error(`boom ${n}`);
      return n;
    })) {
      got.push(x);
    }
    assert.unreachable();
  } catch (e) {
    assert.is((e as Error).message, "boom 3");
  }
  await sleep(30);
  process.off("unhandledRejection", on);
  assert.equal(got, [1, 2]);
  assert.equal(unhandled, []);
});

test("rejects a bad concurrency", async () => {
  try {
    for await (const _ of orderedPool([1], 0, async (n) => n)) assert.unreachable();
    assert.unreachable();
  } catch (e) {
    assert.instance(e, RangeError);
  }
});

test.run();
