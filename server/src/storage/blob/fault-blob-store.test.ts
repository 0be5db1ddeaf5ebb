import { suite } from "uvu";
import * as assert from "uvu/assert";
import { blobNotFound, isBlobError } from "./blob-store.js";
import { runBlobStoreConformance } from "./blob-store-conformance.js";
import { chunked, collect, equalBytes, expectBlobError, expectRejection, pattern, toArray } from "./blob-test-support.js";
import { createFaultyBlobStore } from "./fault-blob-store.js";
import { createMemoryBlobStore } from "./memory-blob-store.js";

runBlobStoreConformance(
  "faulty(memory) with an empty plan",
  async () => ({ store: createFaultyBlobStore(createMemoryBlobStore(), []), cleanup: async () => undefined }),
  { boundedMemory: false },
).run();

const t = suite("fault-blob-store");

t("fails the Nth put with BlobUnavailable and writes nothing", async () => {
  const inner = createMemoryBlobStore();
  const store = createFaultyBlobStore(inner, [{ op: "put", nth: 2, fault: { kind: "error" } }]);
  await store.put("a", pattern(10));
  await expectBlobError(() => store.put("b", pattern(10)), "BlobUnavailable");
  await store.put("c", pattern(10));
  assert.equal((await toArray(inner.list(""))).map((b) => b.key), ["a", "c"]);
  assert.equal(store.injected, [{ op: "put", key: "b", call: 2, kind: "error" }]);
});

t("counts per rule, only calls whose key matches; custom errors", async () => {
  const inner = createMemoryBlobStore();
  await inner.put("packs/1", pattern(5));
  await inner.put("index/1", pattern(5));
  const store = createFaultyBlobStore(inner, [
    { op: "get", key: "packs/", nth: [1, 3], fault: { kind: "error", error: blobNotFound } },
    { op: "stat", key: /^index\//, fault: { kind: "error" } },
  ]);
  await expectBlobError(() => collect(store.get("packs/1")), "BlobNotFound");
  equalBytes(await collect(store.get("index/1")), pattern(5), "other keys are not counted");
  equalBytes(await collect(store.get("packs/1")), pattern(5));
  await expectBlobError(() => collect(store.get("packs/1")), "BlobNotFound");
  equalBytes(await collect(store.get("packs/1")), pattern(5));
  await expectBlobError(() => store.stat("index/1"), "BlobUnavailable");
  await expectBlobError(() => store.stat("index/1"), "BlobUnavailable");
  assert.equal(await store.stat("packs/1"), { key: "packs/1", size: 5 });
  assert.equal(
    store.injected.map((f) => `${f.op} ${f.key} #${f.call}`),
    ["get packs/1 #1", "get packs/1 #3", "stat index/1 #1", "stat index/1 #2"],
  );
});

t("afterInner: the put commits but its answer is lost", async () => {
  const inner = createMemoryBlobStore();
  const store = createFaultyBlobStore(inner, [{ op: "put", fault: { kind: "error", afterInner: true } }]);
  await expectBlobError(() => store.put("k", pattern(7, 3)), "BlobUnavailable");
  equalBytes(await collect(inner.get("k")), pattern(7, 3));
  const del = createFaultyBlobStore(inner, [{ op: "delete", fault: { kind: "error", afterInner: true } }]);
  await expectBlobError(() => del.delete("k"), "BlobUnavailable");
  assert.is(await inner.stat("k"), undefined);
});

t("failAfterBytes on put: the source breaks after K bytes and no object is left", async () => {
  const inner = createMemoryBlobStore();
  const store = createFaultyBlobStore(inner, [{ op: "put", fault: { kind: "failAfterBytes", bytes: 1500 } }]);
  let pulled = 0;
  async function* body() {
    for await (const c of chunked(pattern(10_000), [1000])) {
      pulled += c.byteLength;
      yield c;
    }
  }
  await expectBlobError(() => store.put("k", body()), "BlobUnavailable");
  assert.is(pulled, 2000, "stops pulling the source at the chunk holding byte K");
  assert.is(await inner.stat("k"), undefined);
  await expectBlobError(() => store.put("small", pattern(100)), "BlobUnavailable");
  assert.is(await inner.stat("small"), undefined, "a body shorter than K still fails at its end");
});

t("failAfterBytes on get: exactly K bytes, then the error", async () => {
  const inner = createMemoryBlobStore();
  const data = pattern(3 * 1024 * 1024 + 5, 9);
  await inner.put("big", data);
  const k = 1024 * 1024 + 17;
  const store = createFaultyBlobStore(inner, [{ op: "get", nth: 1, fault: { kind: "failAfterBytes", bytes: k } }]);
  const got: Uint8Array[] = [];
  const err = await expectRejection(
    async () => {
      for await (const c of store.get("big")) got.push(c);
    },
    (e) => isBlobError(e, "BlobUnavailable"),
    "BlobUnavailable",
  );
  assert.ok(err);
  equalBytes(Buffer.concat(got), data.subarray(0, k));
  equalBytes(await collect(store.get("big")), data, "the second read is clean");
});

t("corrupt flips one bit of what is read, never what is stored", async () => {
  const inner = createMemoryBlobStore();
  const data = pattern(2 * 1024 * 1024, 4);
  await inner.put("obj", data);
  const offset = 1024 * 1024 + 3; // in the second chunk of the read
  const store = createFaultyBlobStore(inner, [
    { op: "get", nth: 1, fault: { kind: "corrupt", offset, bit: 5 } },
    { op: "get", nth: 2, fault: { kind: "corrupt", offset: 10 } },
  ]);
  const bad = await collect(store.get("obj"));
  const diffs = [...bad].flatMap((b, i) => (b !== data[i] ? [i] : []));
  assert.equal(diffs, [offset]);
  assert.is(bad[offset] ^ data[offset], 1 << 5);
  const ranged = await collect(store.get("obj", { offset: 100, length: 50 }));
  assert.is(ranged[10] ^ data[110], 1, "offset counts from the start of the read");
  equalBytes(await collect(store.get("obj")), data);
  equalBytes(await collect(inner.get("obj")), data);
});

t("delay holds the call back, then lets it through", async () => {
  const store = createFaultyBlobStore(createMemoryBlobStore(), [
    { op: "put", fault: { kind: "delay", ms: 40 } },
    { op: "put", nth: 2, fault: { kind: "error" } },
  ]);
  const order: string[] = [];
  const put = store.put("k", pattern(3)).then(() => order.push("put"));
  setImmediate(() => order.push("immediate"));
  await put;
  assert.equal(order, ["immediate", "put"]);
  await expectBlobError(() => store.put("k", pattern(3)), "BlobUnavailable");
  assert.equal(store.injected.map((f) => f.kind), ["delay", "delay", "error"]);
});

t("list faults match on the prefix", async () => {
  const inner = createMemoryBlobStore();
  await inner.put("a/1", pattern(1));
  const store = createFaultyBlobStore(inner, [{ op: "list", key: "a/", fault: { kind: "error" } }]);
  await expectBlobError(() => toArray(store.list("a/")), "BlobUnavailable");
  assert.equal(await toArray(store.list("b")), []);
});

t("a fault that cannot apply to an op is refused", () => {
  const inner = createMemoryBlobStore();
  assert.throws(() => createFaultyBlobStore(inner, [{ op: "stat", fault: { kind: "corrupt" } }]), TypeError);
  assert.throws(() => createFaultyBlobStore(inner, [{ op: "list", fault: { kind: "failAfterBytes", bytes: 1 } }]), TypeError);
  assert.throws(() => createFaultyBlobStore(inner, [{ op: "get", fault: { kind: "error", afterInner: true } }]), TypeError);
});

t.run();
