import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { runBlobStoreConformance } from "./blob-store-conformance.js";
import { chunked, collect, equalBytes, expectBlobError, expectRejection, pattern, toArray } from "./blob-test-support.js";
import { createFsBlobStore, FS_TMP_DIR } from "./fs-blob-store.js";
import { ALIGN, SLOT_BYTES, createSlotPool, probeDirectIo } from "./direct-io.js";

const newRoot = () => mkdtemp(join(tmpdir(), "vellum-fs-blob-"));

runBlobStoreConformance("fs", async () => {
  const root = await newRoot();
  return {
    store: createFsBlobStore({ root: join(root, "blobs") }),
    cleanup: async () => {
      // Every put, failed or not, must have removed its temp file.
      const left = await readdir(join(root, "blobs", FS_TMP_DIR)).catch(() => []);
      await rm(root, { recursive: true, force: true });
      assert.equal(left, [], "temp files left behind");
    },
  };
}).run();

const fsOnly = suite("fs-blob-store specifics");
let root = "";
fsOnly.before.each(async () => {
  root = await newRoot();
});
fsOnly.after.each(async () => {
  await rm(root, { recursive: true, force: true });
});

fsOnly("keys map to files under the root; temp files are never listed", async () => {
  const store = createFsBlobStore({ root });
  await store.put("packs/ab/cdef", pattern(10));
  assert.equal(await readdir(join(root, "packs", "ab")), ["cdef"]);
  assert.equal(await readdir(join(root, FS_TMP_DIR)), []);
  assert.is(store.description, `file://${root}`);
  assert.equal(await toArray(store.list("")), [{ key: "packs/ab/cdef", size: 10 }]);
});

fsOnly("a store reopened on the same root sees the objects", async () => {
  await createFsBlobStore({ root }).put("x/y", pattern(123, 3));
  equalBytes(await collect(createFsBlobStore({ root }).get("x/y")), pattern(123, 3));
});

fsOnly("a key cannot be both an object and a directory of other keys", async () => {
  const store = createFsBlobStore({ root });
  await store.put("a/b", pattern(1));
  await expectRejection(() => store.put("a", pattern(1)), (e) => e instanceof TypeError, "TypeError");
  await store.put("c", pattern(1));
  await expectRejection(() => store.put("c/d", pattern(1)), (e) => e instanceof TypeError, "TypeError");
  assert.equal(await readdir(join(root, FS_TMP_DIR)), []);
});

fsOnly("a read that started before an overwrite keeps reading the old version", async () => {
  const store = createFsBlobStore({ root });
  const old = pattern(3 * 1024 * 1024, 5);
  await store.put("v", old);
  const it = store.get("v")[Symbol.asyncIterator]();
  const first = await it.next();
  await store.put("v", pattern(10, 6));
  const parts = [first.value as Uint8Array];
  for (let s = await it.next(); !s.done; s = await it.next()) parts.push(s.value);
  equalBytes(Buffer.concat(parts), old);
  equalBytes(await collect(store.get("v")), pattern(10, 6));
});

/** Bytes of the file that sit in the page cache (util-linux fincore). */
const cachedBytes = (path: string) => Number(execFileSync("fincore", ["--bytes", "--noheadings", "--output", "RES", path], { encoding: "utf8" }).trim());

fsOnly("objects of every size around the block and slot boundaries round-trip, whole and by unaligned ranges", async () => {
  const store = createFsBlobStore({ root });
  const sizes = [1, ALIGN - 1, ALIGN, ALIGN + 1, SLOT_BYTES - 1, SLOT_BYTES, SLOT_BYTES + 1, 2 * SLOT_BYTES + ALIGN + 7, 17 * 1024 * 1024 + 3];
  for (const [i, size] of sizes.entries()) {
    const data = pattern(size, i + 2);
    await store.put(`s/${i}`, chunked(data, [1, ALIGN + 3, 1 << 20, 777]));
    assert.is((await stat(join(root, "s", String(i)))).size, size, `file size of ${size}`);
    equalBytes(await collect(store.get(`s/${i}`)), data, `whole ${size}`);
    for (const [start, len] of [[0, 1], [1, ALIGN], [ALIGN - 1, 2], [size - 1, 1], [Math.floor(size / 3), Math.ceil(size / 2)], [SLOT_BYTES - 5, SLOT_BYTES + 11]]) {
      const from = Math.min(start, size - 1);
      const to = Math.min(size, from + len);
      equalBytes(await collect(store.get(`s/${i}`, { offset: from, length: to - from })), data.subarray(from, to), `${size} [${from}, ${to})`);
    }
  }
});

fsOnly("pack files bypass the page cache where the file system takes O_DIRECT, and stay in it without a free slot", async () => {
  assert.ok(await probeDirectIo(root, createSlotPool(1)), "this test needs a temp dir on a file system with O_DIRECT");
  const data = pattern(3 * 1024 * 1024 + 5, 9);
  const direct = createFsBlobStore({ root: join(root, "direct") });
  await direct.put("p", data);
  equalBytes(await collect(direct.get("p", { offset: 100, length: 199_900 })), data.subarray(100, 200_000));
  assert.is(cachedBytes(join(root, "direct", "p")), 0);
  const buffered = createFsBlobStore({ root: join(root, "buffered"), slots: createSlotPool(0) });
  await buffered.put("p", data);
  equalBytes(await collect(buffered.get("p")), data);
  assert.ok(cachedBytes(join(root, "buffered", "p")) > 0);
});

fsOnly("a failed put and a failed read give their slot back", async () => {
  const store = createFsBlobStore({ root, slots: createSlotPool(1) });
  const data = pattern(ALIGN * 3 + 1, 5);
  async function* failing() {
    yield data.subarray(0, ALIGN + 7);
    throw new Error("source broke");
  }
  await expectRejection(() => store.put("f", failing()), (e) => e instanceof Error && e.message === "source broke", "the source's error");
  await expectBlobError(() => collect(store.get("missing", { offset: 0, length: 10 })), "BlobNotFound");
  // Had either kept the pool's only slot, this put would be buffered and land in the page cache.
  await store.put("f", data);
  equalBytes(await collect(store.get("f", { offset: 3, length: ALIGN * 2 })), data.subarray(3, 3 + ALIGN * 2));
  assert.is(cachedBytes(join(root, "f")), 0);
  assert.equal(await readdir(join(root, FS_TMP_DIR)), []);
});

fsOnly("more concurrent operations than slots all complete with the right bytes", async () => {
  const store = createFsBlobStore({ root, slots: createSlotPool(2) });
  const objects = Array.from({ length: 6 }, (_, i) => pattern(SLOT_BYTES + 1000 * i + 1, 20 + i));
  await Promise.all(objects.map((d, i) => store.put(`c/${i}`, chunked(d, [65536]))));
  const reads = await Promise.all([...objects, ...objects].map((_, j) => collect(store.get(`c/${j % 6}`, { offset: j, length: SLOT_BYTES }))));
  reads.forEach((r, j) => equalBytes(r, objects[j % 6].subarray(j, SLOT_BYTES + j), `read ${j}`));
});

fsOnly("a range read after a key is deleted and rewritten, here or by another store on the root, returns the new bytes", async () => {
  const store = createFsBlobStore({ root });
  const other = createFsBlobStore({ root }); // another process's store: this one is not told
  const range = { offset: 0, length: 64 };
  const versions = [1, 2, 3, 4, 5].map((seed) => pattern(ALIGN + 100, seed));
  await store.put("k", versions[0]);
  equalBytes(await collect(store.get("k", range)), versions[0].subarray(0, 64));
  await store.delete("k");
  await store.put("k", versions[1]);
  equalBytes(await collect(store.get("k", range)), versions[1].subarray(0, 64), "deleted and rewritten here");
  await store.put("k", versions[2]);
  equalBytes(await collect(store.get("k", range)), versions[2].subarray(0, 64), "overwritten here");
  await other.delete("k");
  await other.put("k", versions[3]);
  equalBytes(await collect(store.get("k", range)), versions[3].subarray(0, 64), "deleted and rewritten by another store");
  await other.put("k", versions[4]);
  equalBytes(await collect(store.get("k", range)), versions[4].subarray(0, 64), "overwritten by another store");
  await other.delete("k");
  await expectBlobError(() => collect(store.get("k", range)), "BlobNotFound");
});

fsOnly("concurrent range reads of more keys than cached handles all return the right bytes", async () => {
  const store = createFsBlobStore({ root, slots: createSlotPool(2), readHandles: { max: 2 } });
  const objects = Array.from({ length: 7 }, (_, i) => pattern(3 * ALIGN + 17 * i, 40 + i));
  await Promise.all(objects.map((d, i) => store.put(`e/${i}`, d)));
  for (let round = 0; round < 3; round++) {
    const jobs = Array.from({ length: 60 }, (_, j) => ({ i: (j * 5 + round) % 7, offset: (j * 131) % ALIGN, length: ALIGN + j }));
    const reads = await Promise.all(jobs.map(({ i, offset, length }) => collect(store.get(`e/${i}`, { offset, length }))));
    reads.forEach((r, j) => equalBytes(r, objects[jobs[j].i].subarray(jobs[j].offset, jobs[j].offset + jobs[j].length), `round ${round} read ${j}`));
    if (round === 1) {
      await store.delete("e/3");
      await store.put("e/3", objects[3]);
    }
  }
});

fsOnly.run();
