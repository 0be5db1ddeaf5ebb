import { mkdir, mkdtemp, rename, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FileHandle } from "node:fs/promises";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { equalBytes, expectBlobError, pattern } from "./blob-test-support.js";
import { createReadHandles, type LentHandle } from "./fs-read-handles.js";

const test = suite("fs read handles: cached, reference counted, checked per read");
let root = "";
test.before.each(async () => {
  root = await mkdtemp(join(tmpdir(), "vellum-read-handles-"));
});
test.after.each(async () => {
  await rm(root, { recursive: true, force: true });
});

/** FileHandle.fd is -1 once the handle is closed. */
const isClosed = (fh: FileHandle) => fh.fd === -1;
const settle = () => new Promise((r) => setTimeout(r, 20));
const readAll = async (h: LentHandle) => {
  const out = Buffer.alloc(h.size);
  await h.fh.read(out, 0, h.size, 0);
  return out;
};
const file = async (name: string, data: Uint8Array) => {
  await writeFile(join(root, name), data);
  return join(root, name);
};

test("a key's handle is reused across reads, and closed once evicted (least recently used first) and released", async () => {
  const handles = createReadHandles({ max: 2 });
  const [a, b, c] = await Promise.all(["a", "b", "c"].map((k, i) => file(k, pattern(100 + i, i + 1))));
  const ha = await handles.lend("a", a, false);
  ha.release();
  const hb = await handles.lend("b", b, false);
  hb.release();
  const again = await handles.lend("a", a, false); // a is now the most recently used
  assert.is(again.fh, ha.fh, "a cache hit lends the same handle");
  again.release();
  const hc = await handles.lend("c", c, false); // evicts b
  await settle();
  assert.ok(isClosed(hb.fh), "the evicted handle is closed");
  assert.not.ok(isClosed(ha.fh));
  equalBytes(await readAll(hc), pattern(102, 3));
  hc.release();
});

test("a lent handle is never closed under its read: eviction and forget close it only after release", async () => {
  const handles = createReadHandles({ max: 1 });
  const [a, b] = await Promise.all([file("a", pattern(5000, 1)), file("b", pattern(10, 2))]);
  const ha = await handles.lend("a", a, false);
  const hb = await handles.lend("b", b, false); // evicts a while it is lent
  handles.forget("a");
  await settle();
  assert.not.ok(isClosed(ha.fh), "still lent");
  equalBytes(await readAll(ha), pattern(5000, 1));
  ha.release();
  await settle();
  assert.ok(isClosed(ha.fh), "closed after its release");
  handles.forget("b");
  await settle();
  assert.not.ok(isClosed(hb.fh));
  hb.release();
  await settle();
  assert.ok(isClosed(hb.fh));
});

test("a file removed or replaced since its handle was cached is opened again by path", async () => {
  const handles = createReadHandles();
  const path = await file("p", pattern(300, 1));
  const first = await handles.lend("p", path, false);
  first.release();
  // Replaced by a rename, as another process's put does (this cache is not told).
  await writeFile(join(root, "p.new"), pattern(200, 2));
  await rename(join(root, "p.new"), path);
  const second = await handles.lend("p", path, false);
  assert.is.not(second.fh, first.fh);
  assert.is(second.size, 200);
  equalBytes(await readAll(second), pattern(200, 2));
  second.release();
  await unlink(path);
  await expectBlobError(() => handles.lend("p", path, false), "BlobNotFound");
  await settle();
  assert.ok(isClosed(second.fh), "the stale handle is closed");
});

test("a missing file or a directory is BlobNotFound and nothing is cached", async () => {
  const handles = createReadHandles();
  await expectBlobError(() => handles.lend("m", join(root, "m"), false), "BlobNotFound");
  await mkdir(join(root, "d"));
  await expectBlobError(() => handles.lend("d", join(root, "d"), true), "BlobNotFound");
  await writeFile(join(root, "m"), pattern(7));
  const h = await handles.lend("m", join(root, "m"), false);
  equalBytes(await readAll(h), pattern(7));
  h.release();
});

test("handles idle for idleMs are closed", async () => {
  const handles = createReadHandles({ idleMs: 30 });
  const h = await handles.lend("i", await file("i", pattern(10)), false);
  h.release();
  await new Promise((r) => setTimeout(r, 150));
  assert.ok(isClosed(h.fh));
});

test.run();
