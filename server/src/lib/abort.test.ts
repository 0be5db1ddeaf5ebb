import { test } from "uvu";
import * as assert from "uvu/assert";
import { raceAbort } from "./abort.js";

const tick = () => new Promise((r) => setTimeout(r, 20));

/** Runs `fn` and returns the reasons of the rejections left unhandled meanwhile. */
async function unhandledDuring(fn: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const on = (reason: unknown) => seen.push(reason);
  process.on("unhandledRejection", on);
  try {
    await fn();
    await tick();
  } finally {
    process.off("unhandledRejection", on);
  }
  return seen;
}

test("settles like the promise while the signal does not abort", async () => {
  assert.is(await raceAbort(Promise.resolve(7), new AbortController().signal), 7);
  const err = new Error("failed");
  assert.is(await raceAbort(Promise.reject(err), new AbortController().signal).catch((e: unknown) => e), err);
});

test("rejects with the signal's reason when it aborts first; the promise's later failure is not unhandled", async () => {
  const ac = new AbortController();
  let fail!: (e: Error) => void;
  const p = new Promise<number>((_, reject) => (fail = reject));
  const seen = await unhandledDuring(async () => {
    const raced = raceAbort(p, ac.signal);
    ac.abort("stop");
    assert.is(await raced.catch((e: unknown) => e), "stop");
    fail(new Error("late"));
  });
  assert.equal(seen, []);
});

test("throws at once when the signal has already aborted; the promise's later failure is not unhandled", async () => {
  const ac = new AbortController();
  ac.abort("gone");
  let fail!: (e: Error) => void;
  const p = new Promise<number>((_, reject) => (fail = reject));
  const seen = await unhandledDuring(async () => {
    assert.throws(() => raceAbort(p, ac.signal), (e: unknown) => e === "gone");
    fail(new Error("late"));
  });
  assert.equal(seen, []);
});

test.run();
