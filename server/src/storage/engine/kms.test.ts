import { test } from "uvu";
import * as assert from "uvu/assert";
import { isDomainError } from "../../domain/errors.js";
import { LOCAL_WRAPPED_KEY_BYTES, createLocalKms, createStoreDataKey, dataKeyId, generateDataKey } from "./kms.js";

const master = new Uint8Array(32).fill(7);

const rejectsWithDataLoss = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    assert.ok(isDomainError(e, "DataLoss"), String(e));
    return e as Error;
  }
  assert.unreachable("expected DataLoss");
};

test("data keys are random 32-byte keys", () => {
  const a = generateDataKey();
  assert.is(a.length, 32);
  assert.not.equal(Buffer.from(a), Buffer.from(generateDataKey()));
});

test("wrap then unwrap returns the data key; wrapping is randomized", async () => {
  const kms = createLocalKms(master, "local-1");
  const dk = generateDataKey();
  const w1 = await kms.wrap(dk);
  const w2 = await kms.wrap(dk);
  assert.is(w1.length, LOCAL_WRAPPED_KEY_BYTES);
  assert.not.equal(Buffer.from(w1), Buffer.from(w2));
  assert.ok(!Buffer.from(w1).includes(Buffer.from(dk)));
  assert.equal(Buffer.from(await kms.unwrap(w1)), Buffer.from(dk));
  assert.equal(Buffer.from(await kms.unwrap(w2)), Buffer.from(dk));
});

test("another master key, another key id, or a flipped bit does not unwrap", async () => {
  const kms = createLocalKms(master, "local-1");
  const w = await kms.wrap(generateDataKey());
  const e = await rejectsWithDataLoss(createLocalKms(new Uint8Array(32).fill(8), "local-1").unwrap(w));
  assert.ok(!e!.message.includes("7"), "message must not leak key material");
  await rejectsWithDataLoss(createLocalKms(master, "local-2").unwrap(w));
  for (const i of [0, 5, 20, w.length - 1]) {
    const bad = Uint8Array.from(w);
    bad[i] ^= 1;
    await rejectsWithDataLoss(kms.unwrap(bad));
  }
  await rejectsWithDataLoss(kms.unwrap(w.subarray(0, w.length - 1)));
});

test("the master key is copied, and bad sizes are rejected", async () => {
  const m = Uint8Array.from(master);
  const kms = createLocalKms(m, "k");
  const w = await kms.wrap(generateDataKey());
  m.fill(0);
  await kms.unwrap(w); // still the original key
  assert.throws(() => createLocalKms(new Uint8Array(16), "k"), (e: unknown) => e instanceof RangeError);
  assert.throws(() => createLocalKms(master, ""), (e: unknown) => e instanceof RangeError);
  try {
    await kms.wrap(new Uint8Array(31));
    assert.unreachable();
  } catch (e) {
    assert.instance(e, RangeError);
  }
});

test("createStoreDataKey returns a key and its wrapping under the KMS key id", async () => {
  const kms = createLocalKms(master, "local-1");
  const k = await createStoreDataKey(kms);
  assert.is(k.wrapped.kmsKeyId, "local-1");
  assert.equal(Buffer.from(await kms.unwrap(k.wrapped.wrappedKey)), Buffer.from(k.dataKey));
});

test("a data key's id names the key and stays the same when it is wrapped anew", async () => {
  const key = generateDataKey();
  const id = dataKeyId(key);
  assert.match(id, /^dk-[0-9a-f]{32}$/);
  const rewrapped = await createLocalKms(master, "local-2").unwrap(await createLocalKms(master, "local-2").wrap(key));
  assert.is(dataKeyId(rewrapped), id);
  assert.is.not(dataKeyId(generateDataKey()), id);
});

test.run();
