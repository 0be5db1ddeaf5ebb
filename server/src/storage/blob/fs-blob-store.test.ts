import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { runBlobStoreConformance } from "./blob-store-conformance.js";
import { collect, equalBytes, expectRejection, pattern, toArray } from "./blob-test-support.js";
import { createFsBlobStore, FS_TMP_DIR } from "./fs-blob-store.js";

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

fsOnly.run();
