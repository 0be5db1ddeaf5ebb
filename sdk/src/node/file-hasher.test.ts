import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tempDir } from "../../../server/test/support/test-server.js";
import { IntegrityError } from "../errors.js";
import { fileHasher, THREADED_HASH_MIN_BYTES } from "./file-hasher.js";

const MiB = 1024 * 1024;

/** A file of `size` random bytes, its SHA-256, and an open handle; `run` gets them and the handle is closed after. */
async function withFile(size: number, run: (path: string, bytes: Buffer) => Promise<void>) {
  const dir = tempDir("vellum-file-hasher-");
  try {
    const path = join(dir.path, "f.bin");
    const bytes = randomBytes(size);
    writeFileSync(path, bytes);
    await run(path, bytes);
  } finally {
    dir.remove();
  }
}

for (const [label, size] of [["on the calling thread", 3 * MiB + 5], ["on a worker thread", THREADED_HASH_MIN_BYTES + 3 * MiB + 5]] as const) {
  test(`hashes a file in order as its prefix grows, ${label}`, () =>
    withFile(size, async (path, bytes) => {
      const fh = await open(path, "r");
      const hasher = fileHasher(fh, path, size);
      try {
        for (let end = MiB + 1; end < size; end += 2 * MiB) hasher.advance(end);
        assert.is(await hasher.digest(size), createHash("sha256").update(bytes).digest("hex"));
      } finally {
        await hasher.close();
        await fh.close();
      }
    }));

  test(`a file shorter than it should be fails the size check, ${label}`, () =>
    withFile(size, async (path) => {
      const fh = await open(path, "r");
      const hasher = fileHasher(fh, path, size);
      try {
        await hasher.digest(size + 10);
        assert.unreachable("expected IntegrityError");
      } catch (e) {
        assert.instance(e, IntegrityError);
        assert.is((e as IntegrityError).check, "size");
      } finally {
        await hasher.close();
        await fh.close();
      }
    }));
}

test.run();
