/**
 * The BlobStore conformance suite: one uvu suite that checks every clause of the contract in
 * blob-store.ts. Each implementation's test file calls
 * `runBlobStoreConformance(name, factory, options).run()`.
 *
 * `factory` is called once per test and must return an empty store; `cleanup` runs after the test
 * whether it passed or not.
 */
import { createHash } from "node:crypto";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { type BlobStore, isBlobError } from "./blob-store.js";
import {
  chunked,
  collect,
  deferred,
  equalBytes,
  expectBlobError,
  expectRejection,
  liveArrayBufferBytes,
  pattern,
  toArray,
} from "./blob-test-support.js";

export interface BlobStoreFixture {
  store: BlobStore;
  cleanup(): Promise<void>;
}

export interface ConformanceOptions {
  /**
   * Whether a streaming put keeps this process's memory bounded (default true). The memory store
   * holds objects in memory by design and sets it to false; the 40 MiB round trip still runs.
   */
  boundedMemory?: boolean;
  /** Runs once after the last test, e.g. to stop an emulator the factory started. */
  teardown?: () => Promise<void>;
}

const MiB = 1024 * 1024;
/** Growth of live ArrayBuffer memory allowed while streaming 40 MiB through a bounded store. */
const MEMORY_BOUND = 16 * MiB;

export function runBlobStoreConformance(
  name: string,
  factory: () => Promise<BlobStoreFixture>,
  options: ConformanceOptions = {},
) {
  const s = suite(`BlobStore conformance: ${name}`);
  let fx: BlobStoreFixture | undefined;
  const store = (): BlobStore => fx!.store;

  s.before.each(async () => {
    fx = await factory();
  });
  s.after.each(async () => {
    await fx?.cleanup();
    fx = undefined;
  });
  if (options.teardown) s.after(options.teardown);

  s("describes itself", () => {
    assert.type(store().description, "string");
    assert.ok(store().description.length > 0);
  });

  s("put then get and stat round-trip a buffer", async () => {
    const data = pattern(5000, 1);
    const info = await store().put("a/b/c.bin", data);
    assert.equal(info, { key: "a/b/c.bin", size: 5000 });
    assert.equal(await store().stat("a/b/c.bin"), { key: "a/b/c.bin", size: 5000 });
    equalBytes(await collect(store().get("a/b/c.bin")), data);
  });

  s("get yields chunks the caller owns: changing or moving one leaves the object intact", async () => {
    const data = pattern(300_000, 9);
    await store().put("owned", data);
    for (const range of [undefined, { offset: 1000, length: 200_000 }]) {
      for await (const chunk of store().get("owned", range)) {
        chunk.fill(0);
        // A chunk that fills its buffer may be transferred away (the chunk reader does).
        if (chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength) structuredClone(chunk.buffer, { transfer: [chunk.buffer as ArrayBuffer] });
      }
    }
    equalBytes(await collect(store().get("owned")), data);
  });

  s("put consumes a stream of uneven chunks", async () => {
    const data = pattern(200_000, 2);
    const info = await store().put("streamed", chunked(data));
    assert.is(info.size, data.byteLength);
    equalBytes(await collect(store().get("streamed")), data);
  });

  s("an empty object exists, has size 0 and reads as no bytes", async () => {
    await store().put("empty", new Uint8Array(0));
    assert.equal(await store().stat("empty"), { key: "empty", size: 0 });
    assert.is((await collect(store().get("empty"))).byteLength, 0);
    assert.is((await collect(store().get("empty", { offset: 0 }))).byteLength, 0);
    await expectBlobError(() => collect(store().get("empty", { offset: 1 })), "BlobInvalidRange");
  });

  s("put without ifAbsent replaces the object", async () => {
    await store().put("k", pattern(3000, 3));
    const second = pattern(10, 4);
    assert.equal(await store().put("k", second), { key: "k", size: 10 });
    equalBytes(await collect(store().get("k")), second);
  });

  s("missing keys: get fails with BlobNotFound, stat returns undefined", async () => {
    await expectBlobError(() => collect(store().get("nope")), "BlobNotFound");
    await expectBlobError(() => collect(store().get("no/such/key", { offset: 0, length: 1 })), "BlobNotFound");
    assert.is(await store().stat("nope"), undefined);
    await store().put("dir/x", pattern(1));
    assert.is(await store().stat("dir"), undefined, "a key's parent path is not an object");
    await expectBlobError(() => collect(store().get("dir")), "BlobNotFound");
  });

  s("ranges read exactly [offset, offset+length) clipped to the end", async () => {
    const data = pattern(1000, 5);
    await store().put("r", data);
    const read = (offset: number, length?: number) => collect(store().get("r", { offset, length }));
    equalBytes(await read(0, 10), data.subarray(0, 10), "head");
    equalBytes(await read(500, 123), data.subarray(500, 623), "middle");
    equalBytes(await read(990, 10), data.subarray(990), "tail");
    equalBytes(await read(995, 10), data.subarray(995), "clipped");
    equalBytes(await read(999, 1), data.subarray(999), "last byte");
    equalBytes(await read(999), data.subarray(999), "last byte, open length");
    equalBytes(await read(250), data.subarray(250), "open length");
    equalBytes(await read(0), data, "whole");
    assert.is((await read(500, 0)).byteLength, 0, "zero length");
    assert.is((await read(1000)).byteLength, 0, "offset at the end");
    assert.is((await read(1000, 5)).byteLength, 0, "offset at the end with length");
    const past = await expectBlobError(() => read(1001), "BlobInvalidRange");
    assert.is(past?.key, "r");
    await expectBlobError(() => read(5000, 1), "BlobInvalidRange");
  });

  s("ranges across read-chunk boundaries of a multi-MiB object", async () => {
    const data = pattern(3 * MiB + 17, 6);
    await store().put("big/r", chunked(data, [MiB / 4 + 3]));
    const cases: Array<[number, number | undefined]> = [
      [MiB - 5, 10],
      [MiB / 2, 2 * MiB],
      [2 * MiB + 1, undefined],
      [3 * MiB, 17],
    ];
    for (const [offset, length] of cases) {
      const end = length === undefined ? data.byteLength : offset + length;
      equalBytes(await collect(store().get("big/r", { offset, length })), data.subarray(offset, end), `@${offset}`);
    }
  });

  s("malformed keys and ranges are programming errors (TypeError)", async () => {
    const bad = ["", "/a", "a/", "a//b", "../x", "a/../b", "./a", "a/.", "a b", "a\\b", "ä"];
    for (const key of bad) {
      const isType = (e: unknown) => e instanceof TypeError;
      await expectRejection(async () => store().put(key, pattern(1)), isType, `put ${JSON.stringify(key)}`);
      await expectRejection(async () => collect(store().get(key)), isType, `get ${JSON.stringify(key)}`);
      await expectRejection(async () => store().stat(key), isType, `stat ${JSON.stringify(key)}`);
      await expectRejection(async () => store().delete(key), isType, `delete ${JSON.stringify(key)}`);
    }
    await store().put("ok", pattern(10));
    for (const range of [{ offset: -1 }, { offset: 0, length: -1 }, { offset: 1.5 }, { offset: Number.NaN }]) {
      await expectRejection(
        async () => collect(store().get("ok", range)),
        (e) => e instanceof TypeError,
        `range ${JSON.stringify(range)}`,
      );
    }
    assert.equal(await toArray(store().list("")), [{ key: "ok", size: 10 }]);
  });

  s("a put whose source fails mid-stream leaves no object", async () => {
    const boom = new Error("source failed");
    async function* failing() {
      yield pattern(MiB, 7);
      yield pattern(1000, 8);
      throw boom;
    }
    const err = await expectRejection(() => store().put("atomic", failing()), (e) => e === boom, "the source's error");
    assert.is(err, boom);
    assert.is(await store().stat("atomic"), undefined);
    await expectBlobError(() => collect(store().get("atomic")), "BlobNotFound");
    assert.equal(await toArray(store().list("")), []);
  });

  s("a failed overwrite leaves the previous object intact", async () => {
    const old = pattern(4000, 9);
    await store().put("keep", old);
    async function* failing() {
      yield pattern(2000, 10);
      throw new Error("source failed");
    }
    await expectRejection(() => store().put("keep", failing()), (e) => e instanceof Error, "an error");
    equalBytes(await collect(store().get("keep")), old);
  });

  s("an object is invisible until its put resolves", async () => {
    const gate = deferred();
    const firstSent = deferred();
    async function* slow() {
      yield pattern(300_000, 11);
      firstSent.resolve();
      await gate.promise;
      yield pattern(300_000, 12);
    }
    const put = store().put("pending/obj", slow());
    await firstSent.promise;
    await new Promise((r) => setTimeout(r, 20));
    assert.is(await store().stat("pending/obj"), undefined);
    assert.equal(await toArray(store().list("pending/")), []);
    await expectBlobError(() => collect(store().get("pending/obj")), "BlobNotFound");
    gate.resolve();
    assert.is((await put).size, 600_000);
    assert.equal(await store().stat("pending/obj"), { key: "pending/obj", size: 600_000 });
  });

  s("abort: a cancelled put rejects with the signal's reason and leaves nothing", async () => {
    const ac = new AbortController();
    const started = deferred();
    async function* stalled() {
      yield pattern(100_000, 13);
      started.resolve();
      await new Promise(() => undefined); // never yields again: abort must not wait for the source
    }
    const put = store().put("aborted", stalled(), { signal: ac.signal });
    await started.promise;
    const reason = new Error("stop");
    ac.abort(reason);
    await expectRejection(() => put, (e) => e === reason, "the abort reason");
    assert.is(await store().stat("aborted"), undefined);

    const pre = AbortSignal.abort();
    await expectRejection(
      () => store().put("pre-aborted", pattern(10), { signal: pre }),
      (e) => e === pre.reason,
      "the abort reason",
    );
    assert.is(await store().stat("pre-aborted"), undefined);
    assert.equal(await toArray(store().list("")), []);
  });

  s("ifAbsent: creates a missing key, refuses an existing one", async () => {
    const first = pattern(100, 14);
    assert.equal(await store().put("once", first, { ifAbsent: true }), { key: "once", size: 100 });
    const err = await expectBlobError(() => store().put("once", pattern(50, 15), { ifAbsent: true }), "BlobAlreadyExists");
    assert.is(err?.key, "once");
    await expectBlobError(() => store().put("once", chunked(pattern(5000, 16)), { ifAbsent: true }), "BlobAlreadyExists");
    equalBytes(await collect(store().get("once")), first);
    await store().delete("once");
    await store().put("once", pattern(7, 17), { ifAbsent: true });
    assert.is((await store().stat("once"))?.size, 7);
  });

  s("ifAbsent race: of concurrent puts exactly one wins", async () => {
    const bodies = Array.from({ length: 6 }, (_, i) => pattern(40_000 + i, 100 + i));
    const results = await Promise.allSettled(
      bodies.map((b) => store().put("race/key", chunked(b, [8192]), { ifAbsent: true })),
    );
    const won = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
    assert.is(won.length, 1, `winners: ${won.join(",")}`);
    for (const r of results) {
      if (r.status === "rejected") assert.ok(isBlobError(r.reason, "BlobAlreadyExists"), String(r.reason));
    }
    equalBytes(await collect(store().get("race/key")), bodies[won[0]], "stored object is the winner's");
  });

  s("list yields every key under a prefix in lexicographic order, with sizes", async () => {
    const keys = ["b", "a0", "a/x", "a.b", "a-b", "a/b/c", "a/b-", "A", "_z", "a/b.d", "ab/c", "9"];
    for (const [i, k] of keys.entries()) await store().put(k, pattern(i + 1, i));
    const sizeOf = new Map(keys.map((k, i) => [k, i + 1]));
    const expect = (prefix: string) =>
      keys
        .filter((k) => k.startsWith(prefix))
        .sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))
        .map((key) => ({ key, size: sizeOf.get(key) }));
    for (const prefix of ["", "a", "a/", "a/b", "a/b/", "ab", "a.", "zz", "A", "a/b/c"]) {
      assert.equal(await toArray(store().list(prefix)), expect(prefix), `prefix ${JSON.stringify(prefix)}`);
    }
  });

  s("list pages through many keys", async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `many/${String(i * 7919 % 1000).padStart(4, "0")}`);
    await Promise.all(keys.map((k) => store().put(k, pattern(3))));
    await store().put("other/0001", pattern(3));
    const listed = (await toArray(store().list("many/"))).map((b) => b.key);
    assert.equal(listed, [...keys].sort());
  });

  s("delete removes an object and is idempotent", async () => {
    await store().put("d/1", pattern(10));
    await store().put("d/2", pattern(10));
    await store().delete("d/1");
    assert.is(await store().stat("d/1"), undefined);
    await expectBlobError(() => collect(store().get("d/1")), "BlobNotFound");
    await store().delete("d/1");
    await store().delete("never/existed");
    assert.equal(await toArray(store().list("d/")), [{ key: "d/2", size: 10 }]);
  });

  s("a ~40 MiB streaming put round-trips", async () => {
    const total = 40 * MiB + 12345;
    const base = pattern(MiB, 21);
    const sent = createHash("sha256");
    let baseline = 0;
    let peak = 0;
    async function* source() {
      baseline = options.boundedMemory === false ? 0 : liveArrayBufferBytes();
      for (let at = 0, i = 0; at < total; i++) {
        const n = Math.min(total - at, i % 3 === 0 ? MiB : MiB / 2 + 1);
        const chunk = Buffer.from(base.subarray(0, n));
        chunk.writeUInt32BE(i, 0);
        sent.update(chunk);
        at += n;
        yield chunk;
        if (options.boundedMemory !== false && i % 4 === 3) peak = Math.max(peak, liveArrayBufferBytes());
      }
    }
    const info = await store().put("large/obj", source());
    assert.is(info.size, total);
    assert.equal(await store().stat("large/obj"), { key: "large/obj", size: total });
    const got = createHash("sha256");
    let size = 0;
    for await (const c of store().get("large/obj")) {
      got.update(c);
      size += c.byteLength;
    }
    assert.is(size, total);
    assert.is(got.digest("hex"), sent.digest("hex"));
    if (options.boundedMemory !== false) {
      const growth = peak - baseline;
      assert.ok(growth < MEMORY_BOUND, `live buffer memory grew by ${(growth / MiB).toFixed(1)} MiB during the put`);
    }
  });

  s("reads are independent of later writes to the caller's buffers", async () => {
    const data = pattern(1000, 30);
    const copy = data.slice();
    await store().put("own", data);
    data.fill(0);
    const first = await collect(store().get("own"));
    equalBytes(first, copy);
    first.fill(1);
    equalBytes(await collect(store().get("own")), copy);
  });

  return s;
}
