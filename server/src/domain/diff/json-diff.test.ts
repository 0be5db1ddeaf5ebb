import jsonpatch from "fast-json-patch";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { isDomainError } from "../errors.js";
import { diffJson, type JsonPatchOp } from "./json-diff.js";

const apply = (doc: unknown, patch: JsonPatchOp[]) =>
  jsonpatch.applyPatch(structuredClone(doc), patch as jsonpatch.Operation[], true).newDocument;

test("scalars at the root are replaced whole; equal documents give nothing", () => {
  assert.equal(diffJson(1, 2).patch, [{ op: "replace", path: "", value: 2 }]);
  assert.equal(diffJson({ a: [1, { b: "ü" }] }, { a: [1, { b: "ü" }] }).patch, []);
});

test("a change of shape replaces the value and is summarised as changed", () => {
  const d = diffJson({ a: { x: 1 } }, { a: [1] });
  assert.equal(d.patch, [{ op: "replace", path: "/a", value: [1] }]);
  assert.equal(d.changes, [{ kind: "changed", path: "/a", oldValue: { x: 1 }, newValue: [1] }]);
});

test("object members: add, remove and replace with ~0/~1 escaping", () => {
  const d = diffJson({ "a/b": 1, "c~d": 2, keep: true }, { "a/b": 3, keep: true, "new/~": null });
  assert.equal(d.patch, [
    { op: "replace", path: "/a~1b", value: 3 },
    { op: "remove", path: "/c~0d" },
    { op: "add", path: "/new~1~0", value: null },
  ]);
  assert.equal(d.counts, { added: 1, removed: 1, changed: 1, moved: 0 });
});

test("positional arrays: an insertion at the front is one add, not a cascade of replaces", () => {
  const d = diffJson({ tags: ["b", "c", "d"] }, { tags: ["a", "b", "c", "d"] });
  assert.equal(d.patch, [{ op: "add", path: "/tags/0", value: "a" }]);
});

test("positional arrays: a changed element is diffed in place", () => {
  const d = diffJson([{ sku: "A", stock: 1 }, { sku: "B", stock: 2 }], [{ sku: "A", stock: 1 }, { sku: "B", stock: 3 }]);
  assert.equal(d.patch, [{ op: "replace", path: "/1/stock", value: 3 }]);
});

test("keyed arrays: a reorder is one move and in-place edits follow the element", () => {
  const left = { items: [{ id: 1, v: 1 }, { id: 2, v: 2 }, { id: 3, v: 3 }, { id: 4, v: 4 }] };
  const right = { items: [{ id: 3, v: 3 }, { id: 1, v: 1 }, { id: 5, v: 5 }, { id: 2, v: 20 }] };
  const d = diffJson(left, right, { arrayMatchKey: "id" });
  assert.equal(d.patch, [
    { op: "remove", path: "/items/3" },
    { op: "move", from: "/items/2", path: "/items/0" },
    { op: "add", path: "/items/2", value: { id: 5, v: 5 } },
    { op: "replace", path: "/items/3/v", value: 20 },
  ]);
  assert.equal(d.changes, [
    { kind: "removed", path: "/items/3", oldValue: { id: 4, v: 4 } },
    { kind: "moved", path: "/items/0", from: "/items/2" },
    { kind: "added", path: "/items/2", newValue: { id: 5, v: 5 } },
    { kind: "changed", path: "/items/3/v", from: "/items/1/v", oldValue: 2, newValue: 20 },
  ]);
  assert.equal(apply(left, d.patch), right);
});

test("keyed arrays: reversing 2000 products takes 1999 moves and no content changes", () => {
  const left = Array.from({ length: 2000 }, (_, i) => ({ id: `p${i}`, title: `Product ${i}` }));
  const right = [...left].reverse();
  const d = diffJson(left, right, { arrayMatchKey: "id" });
  assert.is(d.patch.length, 1999);
  assert.ok(d.patch.every((op) => op.op === "move"));
  assert.equal(apply(left, d.patch), right);
});

test("keyed arrays: without the key the same reorder is a positional edit script", () => {
  const left = [{ id: 1 }, { id: 2 }, { id: 3 }];
  const right = [{ id: 3 }, { id: 1 }, { id: 2 }];
  const d = diffJson(left, right);
  assert.ok(d.patch.every((op) => op.op !== "move"));
  assert.equal(apply(left, d.patch), right);
});

test("arrayMatchKey candidates are tried in order per array; duplicate keys fall back to positions", () => {
  const left = { products: [{ id: "a", variants: [{ sku: "S" }, { sku: "M" }] }], dup: [{ id: 1 }, { id: 1, x: 1 }] };
  const right = { products: [{ id: "a", variants: [{ sku: "M" }, { sku: "S" }] }], dup: [{ id: 1, x: 1 }, { id: 1 }] };
  const d = diffJson(left, right, { arrayMatchKey: ["id", "sku"] });
  assert.equal(d.patch.filter((op) => op.path.startsWith("/products")), [{ op: "move", from: "/products/0/variants/0", path: "/products/0/variants/1" }]);
  assert.ok(d.patch.filter((op) => op.path.startsWith("/dup")).every((op) => op.op !== "move"));
  assert.equal(apply(left, d.patch), right);
});

test("keys of different types do not collide: 1 and \"1\" are different elements", () => {
  const d = diffJson([{ id: 1 }], [{ id: "1" }], { arrayMatchKey: "id" });
  assert.equal(d.counts, { added: 1, removed: 1, changed: 0, moved: 0 });
});

test("ignorePaths: ignored members produce no operation and no summary entry", () => {
  const left = { updated_at: "t1", variants: [{ sku: "A", sync_time: "t1", price: 1 }] };
  const right = { updated_at: "t2", variants: [{ sku: "A", sync_time: "t2", price: 2 }], extra_at: "x" };
  const d = diffJson(left, right, { ignorePaths: ["/updated_at", "/variants/*/sync_time", "/*_at"] });
  assert.equal(d.patch, [{ op: "replace", path: "/variants/0/price", value: 2 }]);
  assert.is(d.changes.length, 1);
});

test("ignorePaths: positional arrays align elements that differ only in ignored members", () => {
  const left = { v: [{ sku: "A", t: 1 }, { sku: "B", t: 1 }] };
  const right = { v: [{ sku: "Z", t: 9 }, { sku: "A", t: 2 }, { sku: "B", t: 2 }] };
  const d = diffJson(left, right, { ignorePaths: ["/v/*/t"] });
  assert.equal(d.patch, [{ op: "add", path: "/v/0", value: { sku: "Z", t: 9 } }]);
});

test("large positional arrays past the edit limit still give an exact patch", () => {
  const left = Array.from({ length: 6000 }, (_, i) => i);
  const right = Array.from({ length: 6000 }, (_, i) => (i % 2 === 0 ? -i - 1 : i));
  const d = diffJson(left, right);
  assert.equal(apply(left, d.patch), right);
  assert.is(d.counts.changed, 3000);
});

test("nesting deeper than maxDepth fails with FailedPrecondition JSON_TOO_DEEP", () => {
  let a: unknown = 1;
  let b: unknown = 2;
  for (let i = 0; i < 50; i++) {
    a = { n: a };
    b = { n: b };
  }
  try {
    diffJson(a, b, { maxDepth: 20 });
    assert.unreachable("should fail");
  } catch (e) {
    assert.ok(isDomainError(e, "FailedPrecondition"));
    assert.is(e.details.reason, "JSON_TOO_DEEP");
  }
  assert.is(diffJson(a, b).patch.length, 1);
});

test("an empty arrayMatchKey is rejected as InvalidArgument", () => {
  try {
    diffJson([], [], { arrayMatchKey: [""] });
    assert.unreachable("should fail");
  } catch (e) {
    assert.ok(isDomainError(e, "InvalidArgument"));
  }
});

test.run();
