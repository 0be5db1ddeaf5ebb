import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { isDomainError } from "../errors.js";
import { lineHunks, unifiedDiff, wordDiff } from "./text-diff.js";

test("unifiedDiff: file headers, hunk header and context lines", () => {
  const out = unifiedDiff("a\nb\nc\nd\ne\nf\ng\n", "a\nb\nc\nD\ne\nf\ng\n", { oldName: "notes.txt", newName: "notes.txt", context: 1 });
  assert.fixture(out, ["--- a/notes.txt", "+++ b/notes.txt", "@@ -3,3 +3,3 @@", " c", "-d", "+D", " e", ""].join("\n"));
});

test("unifiedDiff: a new file diffs against /dev/null; equal texts give an empty string", () => {
  assert.fixture(unifiedDiff("", "x\n", { newName: "n.txt" }), "--- /dev/null\n+++ b/n.txt\n@@ -0,0 +1,1 @@\n+x\n");
  assert.is(unifiedDiff("same\n", "same\n", { oldName: "s" }), "");
});

test("unifiedDiff: a missing final newline is marked", () => {
  const out = unifiedDiff("a\n", "a\nb", { oldName: "f", newName: "f" });
  assert.ok(out.endsWith("+b\n\\ No newline at end of file\n"), out);
});

test("unifiedDiff: past the edit limit fails with FailedPrecondition DIFF_TOO_LARGE", () => {
  const a = Array.from({ length: 60 }, (_, i) => `a${i}`).join("\n");
  const b = Array.from({ length: 60 }, (_, i) => `b${i}`).join("\n");
  assert.ok(unifiedDiff(a, b, { maxEdits: 120 }).includes("+b59"));
  try {
    unifiedDiff(a, b, { maxEdits: 100 });
    assert.unreachable("should fail");
  } catch (e) {
    assert.ok(isDomainError(e, "FailedPrecondition"));
    assert.is(e.details.reason, "DIFF_TOO_LARGE");
  }
});

test("lineHunks: structured hunks with added/removed line counts", () => {
  const d = lineHunks("a\nb\nc\n", "a\nB\nc\nd\n", 0);
  assert.equal(d.counts, { addedLines: 2, removedLines: 1 });
  assert.equal(d.hunks.map((h) => h.lines), [["-b", "+B"], ["+d"]]);
  assert.equal(lineHunks("x", "x").hunks, []);
});

test("wordDiff: prose edits read as one removal and one addition per run", () => {
  assert.equal(wordDiff("A breezy shirt for warm days.", "A breezy shirt for hot summer days."), [
    { kind: "unchanged", value: "A breezy shirt for " },
    { kind: "removed", value: "warm " },
    { kind: "added", value: "hot summer " },
    { kind: "unchanged", value: "days." },
  ]);
  assert.equal(wordDiff("", ""), []);
  assert.equal(wordDiff("same", "same"), [{ kind: "unchanged", value: "same" }]);
});

test("property: word parts rebuild both texts exactly", () => {
  const prose = fc.array(fc.constantFrom("the", "linen", "Crème", "👟", " ", "  ", "\n", ".", ",", "限定", "shirt"), { maxLength: 12 }).map((w) => w.join(""));
  fc.assert(
    fc.property(prose, prose, (a, b) => {
      const parts = wordDiff(a, b);
      assert.is(parts.filter((p) => p.kind !== "added").map((p) => p.value).join(""), a);
      assert.is(parts.filter((p) => p.kind !== "removed").map((p) => p.value).join(""), b);
      for (let i = 1; i < parts.length; i++) assert.not.equal(parts[i].kind, parts[i - 1].kind);
    }),
    { numRuns: 300 },
  );
});

test.run();
