import { test } from "uvu";
import * as assert from "uvu/assert";
import { digestOf } from "../digest.js";
import { isDomainError } from "../errors.js";
import { compare } from "./index.js";
import { diffTar } from "./tar-diff.js";
import { readTar } from "./tar-read.js";
import { makeTar } from "./testing/make-tar.js";

const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const png2 = new Uint8Array([...png, 1]);

const leftTar = () =>
  makeTar([
    { name: "catalog/", type: "directory", mode: 0o755 },
    { name: "catalog/products.csv", content: "sku,price\nLS-S,49.00\nLS-M,49.00\n" },
    { name: "catalog/readme.md", content: "# Catalog\n" },
    { name: "catalog/logo.png", content: png },
    { name: "catalog/old.txt", content: "gone\n" },
    { name: "run.sh", content: "echo hi\n", mode: 0o644 },
  ]);
const rightTar = () =>
  makeTar([
    { name: "catalog/", type: "directory", mode: 0o755 },
    { name: "catalog/products.csv", content: "sku,price\nLS-S,45.00\nLS-M,49.00\n" },
    { name: "catalog/readme.md", content: "# Catalog\n" },
    { name: "catalog/logo.png", content: png2 },
    { name: "catalog/new.txt", content: "fresh ✨\n" },
    { name: "run.sh", content: "echo hi\n", mode: 0o755 },
  ]);

test("readTar: members sorted by name with sizes, modes and SHA-256 digests", async () => {
  const members = await readTar(await leftTar());
  assert.equal(members.map((m) => m.name), ["catalog/", "catalog/logo.png", "catalog/old.txt", "catalog/products.csv", "catalog/readme.md", "run.sh"]);
  const csv = members.find((m) => m.name === "catalog/products.csv")!;
  assert.is(csv.size, 32);
  assert.ok(csv.digest.equals(digestOf(new TextEncoder().encode("sku,price\nLS-S,49.00\nLS-M,49.00\n"))));
  assert.is(members[0].type, "directory");
});

test("diffTar: added, removed and changed members, unchanged ones only counted", async () => {
  const d = await diffTar(await leftTar(), await rightTar(), { context: 1 });
  assert.equal(d.counts, { added: 1, removed: 1, changed: 3, unchanged: 2 });
  assert.equal(
    d.members.map((m) => [m.name, m.status, m.text]),
    [
      ["catalog/logo.png", "changed", false],
      ["catalog/new.txt", "added", true],
      ["catalog/old.txt", "removed", true],
      ["catalog/products.csv", "changed", true],
      ["run.sh", "changed", true],
    ],
  );
  const csv = d.members.find((m) => m.name === "catalog/products.csv")!;
  assert.fixture(
    csv.unified!,
    ["--- a/catalog/products.csv", "+++ b/catalog/products.csv", "@@ -1,3 +1,3 @@", " sku,price", "-LS-S,49.00", "+LS-S,45.00", " LS-M,49.00", ""].join("\n"),
  );
  assert.fixture(d.members.find((m) => m.name === "catalog/new.txt")!.unified!, "--- /dev/null\n+++ b/catalog/new.txt\n@@ -0,0 +1,1 @@\n+fresh ✨\n");
  assert.fixture(d.members.find((m) => m.name === "catalog/old.txt")!.unified!, "--- a/catalog/old.txt\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-gone\n");
  // A mode change alone has no content diff.
  const sh = d.members.find((m) => m.name === "run.sh")!;
  assert.is(sh.unified, undefined);
  assert.is(sh.old!.mode & 0o777, 0o644);
  assert.is(sh.new!.mode & 0o777, 0o755);
  // Binary members are compared by digest, with no text diff.
  const logo = d.members.find((m) => m.name === "catalog/logo.png")!;
  assert.is(logo.unified, undefined);
  assert.ok(logo.new!.digest.equals(digestOf(png2)));
});

test("diffTar: text members larger than maxTextBytes are compared by digest only", async () => {
  const big = (c: string) => makeTar([{ name: "big.txt", content: c.repeat(100) }]);
  const d = await diffTar(await big("a\n"), await big("b\n"), { maxTextBytes: 50 });
  assert.equal(d.members.map((m) => [m.name, m.status, m.text, m.unified]), [["big.txt", "changed", false, undefined]]);
});

test("diffTar: symlink target changes are changes", async () => {
  const l = await makeTar([{ name: "current", type: "symlink", linkname: "v1" }]);
  const r = await makeTar([{ name: "current", type: "symlink", linkname: "v2" }]);
  const d = await diffTar(l, r);
  assert.equal(d.members.map((m) => [m.old?.linkname, m.new?.linkname]), [["v1", "v2"]]);
});

test("compare(tar, UNIFIED): concatenated member diffs, binary members noted", async () => {
  const r = await compare(await leftTar(), await rightTar(), "tar", "UNIFIED", { context: 0 });
  if (r.format !== "UNIFIED") throw new Error("expected UNIFIED");
  assert.fixture(
    r.text,
    [
      "Binary files a/catalog/logo.png and b/catalog/logo.png differ",
      "--- /dev/null",
      "+++ b/catalog/new.txt",
      "@@ -0,0 +1,1 @@",
      "+fresh ✨",
      "--- a/catalog/old.txt",
      "+++ /dev/null",
      "@@ -1,1 +0,0 @@",
      "-gone",
      "--- a/catalog/products.csv",
      "+++ b/catalog/products.csv",
      "@@ -2,1 +2,1 @@",
      "-LS-S,49.00",
      "+LS-S,45.00",
      "Member run.sh: mode 0644 → 0755",
      "",
    ].join("\n"),
  );
});

test("compare(tar, WORD) and (tar, HTML)", async () => {
  const w = await compare(await leftTar(), await rightTar(), "tar", "WORD");
  if (w.format !== "WORD") throw new Error("expected WORD");
  assert.equal(w.fields.map((f) => f.path), ["catalog/new.txt", "catalog/old.txt", "catalog/products.csv"]);
  assert.equal(w.fields[2].parts.filter((p) => p.kind !== "unchanged"), [
    { kind: "removed", value: "49" },
    { kind: "added", value: "45" },
  ]);
  const h = await compare(await leftTar(), await rightTar(), "tar", "HTML");
  if (h.format !== "HTML") throw new Error("expected HTML");
  assert.ok(h.html.includes("<span>added: 1</span><span>removed: 1</span><span>changed: 3</span><span>unchanged: 2</span>"));
  assert.ok(h.html.includes("mode 0644 → 0755"));
  assert.ok(h.html.includes(`binary content changed: 12 bytes, sha256 ${digestOf(png).toHex()} → 13 bytes, sha256 ${digestOf(png2).toHex()}`));
});

test("bytes that are not a tar archive fail with FailedPrecondition INVALID_TAR", async () => {
  try {
    await diffTar(new TextEncoder().encode("x".repeat(1024)), await leftTar());
    assert.unreachable("should fail");
  } catch (e) {
    assert.ok(isDomainError(e, "FailedPrecondition"));
    assert.is(e.details.reason, "INVALID_TAR");
  }
  // An empty snapshot is an empty archive.
  assert.equal((await diffTar(new Uint8Array(0), new Uint8Array(0))).counts, { added: 0, removed: 0, changed: 0, unchanged: 0 });
});

test.run();
