import { test } from "uvu";
import * as assert from "uvu/assert";
import { digestOf } from "../../domain/digest.js";
import { createBufferBudget } from "../../lib/buffer-budget.js";
import { type BlobStore, blobUnavailable } from "../blob/blob-store.js";
import { createMemoryBlobStore } from "../blob/memory-blob-store.js";
import { collect, keysUnder, noise } from "./engine-test-support.js";
import { PACK_FOOTER_BYTES, PACK_HEADER_BYTES } from "./pack-format.js";
import { listPackLocations, readPackIndex } from "./pack-reader.js";
import { type PackRecord, createPackWriter } from "./pack-writer.js";

const STORE = "store-1";

function record(i: number, size = 1000): PackRecord {
  const data = noise(size, i);
  return { digest: digestOf(data), codec: "raw", encrypted: false, plainSize: size, data };
}

/** Delegates to a memory store; each put waits until the test releases it. */
function gatedStore() {
  const inner = createMemoryBlobStore();
  const waiting: (() => void)[] = [];
  let pending = 0;
  let maxPending = 0;
  const store: BlobStore = {
    ...inner,
    async put(key, body, opts) {
      pending++;
      maxPending = Math.max(maxPending, pending);
      await new Promise<void>((r) => waiting.push(r));
      try {
        return await inner.put(key, body, opts);
      } finally {
        pending--;
      }
    },
  };
  const tick = () => new Promise((r) => setTimeout(r, 5));
  return {
    store,
    stats: () => ({ pending, maxPending, waiting: waiting.length }),
    async release() {
      while (waiting.length === 0) await tick();
      waiting.shift()!();
      await tick();
    },
  };
}

test("records are packed up to the target and every location reads back", async () => {
  const blobs = createMemoryBlobStore();
  const w = createPackWriter({ blobStore: blobs, storeId: STORE, targetBytes: 10_000 });
  const recs = Array.from({ length: 45 }, (_, i) => record(i));
  for (const r of recs) await w.add(r);
  const packs = await w.finish();
  assert.is(packs.length, 5); // 9 records of 1000 bytes + header fit under 10 000
  assert.equal(packs.flatMap((p) => p.locations.map((l) => l.digest.toHex())), recs.map((r) => r.digest.toHex()));
  for (const p of packs) {
    assert.is(p.key, `packs/${STORE}/${p.packId.slice(0, 2)}/${p.packId}`);
    const stored = await collect(blobs.get(p.key));
    assert.is(stored.length, p.size);
    assert.ok(p.size - PACK_FOOTER_BYTES - p.locations.length * 52 <= 10_000);
    for (const l of p.locations) {
      const r = recs.find((x) => x.digest.equals(l.digest))!;
      assert.equal(Buffer.from(stored.subarray(l.offset, l.offset + l.length)), Buffer.from(r.data));
    }
    // Self-describing: the trailer alone gives the same locations.
    const fromTrailer = await readPackIndex(blobs, STORE, p.packId);
    assert.equal(
      fromTrailer.map((l) => ({ ...l, digest: l.digest.toHex() })),
      p.locations.map((l) => ({ ...l, digest: l.digest.toHex() })),
    );
  }
  let rebuilt = 0;
  for await (const locs of listPackLocations(blobs, STORE)) rebuilt += locs.length;
  assert.is(rebuilt, 45);
  assert.equal(await w.finish(), []);
});

test("a record larger than the target gets a pack of its own", async () => {
  const blobs = createMemoryBlobStore();
  const w = createPackWriter({ blobStore: blobs, storeId: STORE, targetBytes: 4096 });
  await w.add(record(1, 100));
  await w.add(record(2, 10_000));
  await w.add(record(3, 100));
  const packs = await w.finish();
  assert.equal(packs.map((p) => p.locations.length), [1, 1, 1]);
  assert.is(packs[1].locations[0].offset, PACK_HEADER_BYTES);
});

test("finish with nothing buffered writes nothing; bad options are rejected", async () => {
  const blobs = createMemoryBlobStore();
  assert.equal(await createPackWriter({ blobStore: blobs, storeId: STORE }).finish(), []);
  assert.equal(await keysUnder(blobs, "packs/"), []);
  assert.throws(() => createPackWriter({ blobStore: blobs, storeId: STORE, targetBytes: 10 }), (e: unknown) => e instanceof RangeError);
  assert.throws(() => createPackWriter({ blobStore: blobs, storeId: "a/b" }), (e: unknown) => e instanceof TypeError);
});

test("a pack streams to its put while it fills; at most two packs are in flight, and a full one waits for the previous", async () => {
  const g = gatedStore();
  const w = createPackWriter({ blobStore: g.store, storeId: STORE, targetBytes: 4096 });
  await w.add(record(1, 3000)); // pack 1's put starts with its first record
  assert.is(g.stats().pending, 1);
  await w.add(record(2, 3000)); // pack 1 is full and finishing; pack 2 starts
  assert.is(g.stats().pending, 2);
  let third = false;
  const p3 = w.add(record(3, 3000)).then(() => (third = true)); // pack 2 is full: waits for pack 1
  await new Promise((r) => setTimeout(r, 20));
  assert.is(third, false);
  await g.release(); // pack 1 durable
  await p3;
  assert.ok(third);
  let finished = false;
  const f = w.finish().then((p) => ((finished = true), p));
  await g.release();
  assert.is(finished, false); // the last pack is not durable yet
  await g.release();
  const packs = await f;
  assert.is(packs.length, 3);
  assert.is(g.stats().maxPending, 2);
  for (const p of packs) assert.is((await readPackIndex(g.store, STORE, p.packId)).length, 1);
});

test("a second pack fills only when the budget grants it: otherwise the previous pack finishes first", async () => {
  const g = gatedStore();
  const budget = createBufferBudget(4096); // room for one more pack of 4096 bytes
  const w = createPackWriter({ blobStore: g.store, storeId: STORE, targetBytes: 4096, budget });
  await w.add(record(1, 3000));
  await w.add(record(2, 3000)); // pack 1 finishing; the budget grants pack 2
  assert.is(g.stats().pending, 2);
  assert.is(budget.usedBytes, 4096);
  const hog = budget.take(1); // from now on the budget has no room for a second pack
  let third = false;
  const p3 = w.add(record(3, 3000)).then(() => (third = true)); // pack 2 is full
  await g.release(); // pack 1 durable: its grant goes back
  assert.is(budget.usedBytes, 1);
  await new Promise((r) => setTimeout(r, 20));
  assert.is(third, false, "pack 3 waits until pack 2 is durable: one pack in memory");
  assert.is(g.stats().pending, 1);
  await g.release(); // pack 2 durable
  await p3;
  assert.is(g.stats().pending, 1, "pack 3 alone");
  const f = w.finish();
  await g.release();
  assert.is((await f).length, 3);
  assert.is(g.stats().maxPending, 2);
  hog.release();
  assert.is(budget.usedBytes, 0);
});

test("a failed write fails the next add or finish, and abort removes unreported packs", async () => {
  const inner = createMemoryBlobStore();
  let failNext = false;
  const store: BlobStore = {
    ...inner,
    async put(key, body, opts) {
      if (failNext) throw blobUnavailable(key, new Error("backend down"));
      return inner.put(key, body, opts);
    },
  };
  const w = createPackWriter({ blobStore: store, storeId: STORE, targetBytes: 4096 });
  await w.add(record(1, 3000));
  await w.add(record(2, 3000));
  const first = await w.finish();
  assert.is(first.length, 2);
  await w.add(record(3, 3000));
  await w.add(record(4, 3000)); // starts writing pack 3
  await w.add(record(5, 3000)); // pack 3 written (reported later), starts pack 4
  assert.is((await keysUnder(inner, "packs/")).length, 3);
  failNext = true;
  await w.add(record(6, 3000)); // starts pack 5, which fails
  try {
    await w.finish();
    assert.unreachable("finish must fail");
  } catch (e) {
    assert.is((e as Error).name, "BlobUnavailable");
  }
  failNext = false;
  await w.abort();
  // Packs reported by the first finish stay; the unreported ones are gone.
  assert.equal((await keysUnder(inner, "packs/")).sort(), first.map((p) => p.key).sort());
});

test("onDurable gets each pack once durable; finish releases their locations; abort keeps handed-over packs", async () => {
  const blobs = createMemoryBlobStore();
  const seen: { key: string; locations: number; stored: boolean }[] = [];
  const w = createPackWriter({
    blobStore: blobs,
    storeId: STORE,
    targetBytes: 8 * 1024,
    onDurable: async (p) => void seen.push({ key: p.key, locations: p.locations.length, stored: (await blobs.stat(p.key)) !== undefined }),
  });
  for (let i = 0; i < 20; i++) await w.add(record(i));
  const packs = await w.finish();
  assert.ok(packs.length >= 2);
  assert.equal(seen.map((x) => x.key), packs.map((p) => p.key));
  assert.ok(seen.every((x) => x.stored && x.locations > 0), "durable, with locations, when handed over");
  assert.is(seen.reduce((n, x) => n + x.locations, 0), 20);
  assert.ok(packs.every((p) => p.locations.length === 0), "released after the hand-over");

  // abort deletes only the packs nobody was handed yet.
  const gated = gatedStore();
  const handed: string[] = [];
  const w2 = createPackWriter({ blobStore: gated.store, storeId: STORE, targetBytes: 4 * 1024, onDurable: async (p) => void handed.push(p.key) });
  const adding = (async () => {
    for (let i = 0; i < 12; i++) await w2.add(record(100 + i));
  })();
  await gated.release(); // the first pack becomes durable and is handed over
  while (handed.length === 0) await new Promise((r) => setTimeout(r, 5));
  const aborting = w2.abort();
  while (gated.stats().waiting > 0 || gated.stats().pending > 0) await gated.release();
  await aborting;
  await adding.catch(() => undefined);
  const left = await keysUnder(gated.store, `packs/${STORE}/`);
  assert.equal(left.filter((k) => handed.includes(k)).sort(), [...handed].sort(), "handed-over packs stay");
  assert.ok(left.every((k) => handed.includes(k)), "the others are deleted");
});

test("a rejecting onDurable fails the writer like a failed write", async () => {
  const boom = new Error("index unavailable");
  const w = createPackWriter({ blobStore: createMemoryBlobStore(), storeId: STORE, targetBytes: 4 * 1024, onDurable: () => Promise.reject(boom) });
  try {
    for (let i = 0; i < 20; i++) await w.add(record(200 + i));
    await w.finish();
    assert.unreachable("should have failed");
  } catch (err) {
    assert.is(err, boom);
  }
});

test("overlapping add calls are rejected", async () => {
  const g = gatedStore();
  const w = createPackWriter({ blobStore: g.store, storeId: STORE, targetBytes: 4096 });
  await w.add(record(1, 5000)); // writing
  const a = w.add(record(2, 5000)); // waits for the write
  try {
    await w.add(record(3, 10));
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /must not overlap/);
  }
  await g.release();
  await a;
  const f = w.finish();
  await g.release();
  assert.is((await f).length, 2);
});

test.run();
