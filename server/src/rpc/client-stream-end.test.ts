import { Code, ConnectError } from "@connectrpc/connect";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { endedByClient } from "./client-stream-end.js";

const test = suite("client stream end: only the client's orderly end ends the request stream");

async function* items(n: number, then?: () => Promise<never>) {
  for (let i = 0; i < n; i++) yield i;
  if (then) await then();
}

async function collect<T>(it: AsyncIterable<T>): Promise<{ got: T[]; err?: ConnectError }> {
  const got: T[] = [];
  try {
    for await (const x of it) got.push(x);
  } catch (e) {
    return { got, err: e as ConnectError };
  }
  return { got };
}

test("an orderly end ends the stream", async () => {
  const r = await collect(endedByClient(items(3), new AbortController().signal, () => true));
  assert.equal(r, { got: [0, 1, 2] });
});

test("a body that ended without the client's end (a reset between messages) is CANCELED", async () => {
  const r = await collect(endedByClient(items(3), new AbortController().signal, () => false));
  assert.equal(r.got, [0, 1, 2]);
  assert.is(r.err?.code, Code.Canceled);
});

test("an abort while a message is awaited ends the stream at once: CANCELED, or the deadline's own error", async () => {
  for (const [reason, code] of [
    [undefined, Code.Canceled],
    [new ConnectError("the operation timed out", Code.DeadlineExceeded), Code.DeadlineExceeded],
  ] as const) {
    const ac = new AbortController();
    const never = () => new Promise<never>(() => {});
    const pending = collect(endedByClient(items(2, never), ac.signal, () => true));
    await new Promise((r) => setTimeout(r, 5));
    ac.abort(reason);
    const r = await pending;
    assert.equal(r.got, [0, 1]);
    assert.is(r.err?.code, code);
  }
});

test("what an abort leaves behind (a premature close from the body) is reported as the cut", async () => {
  const ac = new AbortController();
  const prematureClose = async (): Promise<never> => {
    ac.abort();
    throw Object.assign(new Error("Premature close"), { code: "ERR_STREAM_PREMATURE_CLOSE" });
  };
  const r = await collect(endedByClient(items(1, prematureClose), ac.signal, () => true));
  assert.is(r.err?.code, Code.Canceled);
  const other = await collect(endedByClient(items(1, async () => Promise.reject(new ConnectError("too big", Code.ResourceExhausted))), new AbortController().signal, () => true));
  assert.is(other.err?.code, Code.ResourceExhausted, "a failure of the stream itself passes through");
});

test.run();
