import { test } from "uvu";
import * as assert from "uvu/assert";
import { overlay, patch, union, type Json } from "./json-compose.js";

// RFC 7396, Appendix A: [original, patch, result].
const RFC7396: [Json, Json, Json][] = [
  [{ a: "b" }, { a: "c" }, { a: "c" }],
  [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
  [{ a: "b" }, { a: null }, {}],
  [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
  [{ a: ["b"] }, { a: "c" }, { a: "c" }],
  [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
  [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
  [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
  [["a", "b"], ["c", "d"], ["c", "d"]],
  [{ a: "b" }, ["c"], ["c"]],
  [{ a: "foo" }, null, null],
  [{ a: "foo" }, "bar", "bar"],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [[1, 2], { a: "b", c: null }, { a: "b" }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
];

test("OVERLAY with prefer right is RFC 7396 merge patch (the RFC's appendix A examples)", () => {
  for (const [original, p, want] of RFC7396) {
    const out = overlay([original, p], "right");
    assert.equal(out.value, want, JSON.stringify([original, p]));
    assert.equal(out.conflicts, []);
  }
});

test("OVERLAY prefer left keeps earlier values; none keeps them and lists each conflict once", () => {
  const docs: Json[] = [{ a: 1, b: { c: 2 } }, { a: 3, b: { c: 2, d: 4 } }, { b: null }];
  assert.equal(overlay(docs, "left").value, { a: 1, b: { c: 2, d: 4 } });
  const manual = overlay(docs, "none");
  assert.equal(manual.value, { a: 1, b: { c: 2, d: 4 } });
  assert.equal(manual.conflicts.map((c) => [c.path, c.parents]), [["/a", [0, 1]], ["/b", [0, 2]]]);
});

test("UNION merges id-keyed elements in place and drops equal duplicates; a JSON pointer escapes / and ~", () => {
  const out = union([{ "x/y": [{ id: "a", n: 1 }, 5], "t~": 1 }, { "x/y": [5, { id: "a", m: 2 }, { id: "b" }], "t~": 2 }], "none");
  assert.equal(out.value, { "x/y": [{ id: "a", n: 1, m: 2 }, 5, { id: "b" }], "t~": 1 });
  assert.equal(out.conflicts.map((c) => c.path), ["/t~0"]);
});

test("PATCH: an operation that cannot apply (not a failing test) fails with INVALID_PATCH", () => {
  try {
    patch([{ a: 1 }, [{ op: "remove", path: "/nope" }]], "right");
    assert.unreachable("must fail");
  } catch (e) {
    assert.is((e as { details?: { reason?: string } }).details?.reason, "INVALID_PATCH");
  }
  try {
    patch([{ a: 1 }, { op: "add" }], "right");
    assert.unreachable("must fail");
  } catch (e) {
    assert.match((e as Error).message, /not an RFC 6902 patch/);
  }
});

test.run();
