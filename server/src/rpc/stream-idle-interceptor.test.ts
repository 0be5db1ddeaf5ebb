import { Code, ConnectError } from "@connectrpc/connect";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { idleBounded } from "./stream-idle-interceptor.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function* paced(gapsMs: number[]) {
  for (const [i, gap] of gapsMs.entries()) {
    await sleep(gap);
    yield i;
  }
}

test("messages that keep arriving pass through; the time the consumer spends is not counted", async () => {
  const got: number[] = [];
  for await (const x of idleBounded(paced([0, 40, 40, 40]), 100)) {
    got.push(x);
    await sleep(150); // a slow consumer, longer than the idle limit
  }
  assert.equal(got, [0, 1, 2, 3]);
});

test("a gap longer than the limit fails with DEADLINE_EXCEEDED and stops the source", async () => {
  let stopped = false;
  const source = (async function* () {
    try {
      yield* paced([0, 30, 1000]);
    } finally {
      stopped = true;
    }
  })();
  const got: number[] = [];
  const err = await (async () => {
    for await (const x of idleBounded(source, 100)) got.push(x);
  })().then(() => undefined, (e: unknown) => e);
  assert.equal(got, [0, 1]);
  assert.instance(err, ConnectError);
  assert.is((err as ConnectError).code, Code.DeadlineExceeded);
  await sleep(1100); // the pending next() settles, then the requested return() runs
  assert.ok(stopped, "the source was asked to stop");
});

test.run();
