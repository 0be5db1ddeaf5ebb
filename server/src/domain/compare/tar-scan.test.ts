import { test } from "uvu";
import * as assert from "uvu/assert";
import { makeTar } from "../diff/testing/make-tar.js";
import { readTar } from "../diff/tar-read.js";
import { isDomainError } from "../errors.js";
import { scanTarMembers } from "./tar-scan.js";

async function* pieces(bytes: Uint8Array, size: number) {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const entries = Array.from({ length: 40 }, (_, i) => ({ name: `dir/file-${String(i).padStart(2, "0")}.txt`, content: "x".repeat(1000 + i * 700) }));

test("lists the same members as reading the whole archive, from a stream of any piece size", async () => {
  const bytes = await makeTar([{ name: "dir/", type: "directory" }, ...entries, { name: "link", type: "symlink", linkname: "dir/file-01.txt" }]);
  const whole = await readTar(bytes, { keepContentBytes: 0 });
  for (const size of [1, 512, 4096, 1 << 20]) {
    const scan = await scanTarMembers(pieces(bytes, size), { maxScanBytes: bytes.length });
    assert.ok(scan.complete);
    assert.equal(
      scan.members.map((m) => [m.name, m.type, m.size, m.mode, m.linkname, m.digest.toHex()]),
      whole.map((m) => [m.name, m.type, m.size, m.mode, m.linkname, m.digest.toHex()]),
    );
  }
});

test("stops at maxScanBytes with the members seen whole by then", async () => {
  const bytes = await makeTar(entries);
  const scan = await scanTarMembers(pieces(bytes, 4096), { maxScanBytes: 20_000 });
  assert.not.ok(scan.complete);
  assert.ok(scan.members.length > 3 && scan.members.length < entries.length, `${scan.members.length} members`);
  for (const m of scan.members) assert.is(m.size, entries.find((e) => e.name === m.name)!.content.length);
});

test("content that is not a tar archive is FailedPrecondition INVALID_TAR", async () => {
  const junk = new TextEncoder().encode("not a tar archive, just a sentence long enough to be read\n".repeat(50));
  try {
    await scanTarMembers(pieces(junk, 100), { maxScanBytes: 1 << 20 });
    assert.unreachable("should fail");
  } catch (e) {
    assert.ok(isDomainError(e, "FailedPrecondition"));
    assert.is((e as { details: { reason?: string } }).details.reason, "INVALID_TAR");
  }
});

test.run();
