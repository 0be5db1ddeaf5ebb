import fc from "fast-check";
import jsonpatch from "fast-json-patch";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { diffJson, type JsonPatchOp } from "./json-diff.js";
import { stripIgnored } from "./json-normalize.js";
import { compilePathPatterns } from "./path-glob.js";
import { editedPairArb, jsonArb, keyedPairArb } from "./testing/arbitraries.js";

/** Plain JSON data, as a document would be after a JSON round trip. */
const plain = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

/** Applies a patch with fast-json-patch (an independent implementation of RFC 6902). */
const apply = (doc: unknown, patch: JsonPatchOp[]) =>
  jsonpatch.applyPatch(structuredClone(plain(doc)), patch as jsonpatch.Operation[], true).newDocument;

const runs = { numRuns: 400 };

test("property: applying the patch of diff(A, B) to A yields B", () => {
  fc.assert(
    fc.property(fc.oneof(fc.tuple(jsonArb, jsonArb), editedPairArb), ([a, b]) => {
      const d = diffJson(plain(a), plain(b));
      assert.equal(plain(apply(a, d.patch)), plain(b));
    }),
    runs,
  );
});

test("property: diff(A, A) is empty", () => {
  fc.assert(
    fc.property(jsonArb, (a) => {
      const d = diffJson(plain(a), plain(a));
      assert.equal(d.patch, []);
      assert.equal(d.counts, { added: 0, removed: 0, changed: 0, moved: 0 });
    }),
    runs,
  );
});

test("property: with arrayMatchKey the patch of two keyed lists turns A into B", () => {
  fc.assert(
    fc.property(keyedPairArb, ([a, b]) => {
      const d = diffJson(plain({ products: a }), plain({ products: b }), { arrayMatchKey: ["id", "sku"] });
      assert.equal(plain(apply({ products: a }, d.patch)), plain({ products: b }));
    }),
    runs,
  );
});

test("property: with arrayMatchKey a pure reorder is only moves, fewer than the list length", () => {
  fc.assert(
    fc.property(keyedPairArb.chain(([a]) => fc.tuple(fc.constant(a), fc.shuffledSubarray(a, { minLength: a.length }))), ([a, b]) => {
      const d = diffJson(plain(a), plain(b), { arrayMatchKey: "id" });
      assert.ok(d.patch.every((op) => op.op === "move"));
      assert.ok(d.patch.length <= Math.max(0, a.length - 1));
      assert.equal(d.counts, { added: 0, removed: 0, changed: 0, moved: d.patch.length });
      assert.equal(plain(apply(a, d.patch)), plain(b));
    }),
    runs,
  );
});

/**
 * The tokens of a pointer, typed as diffJson sees them (numbers where the container is an
 * array), read off whichever document has the path's containers.
 */
function typedTokens(ptr: string, ...docs: unknown[]): (string | number)[] {
  const raw = ptr === "" ? [] : ptr.split("/").slice(1).map(jsonpatch.unescapePathComponent);
  const out: (string | number)[] = [];
  let nodes = docs;
  for (const t of raw) {
    const container = nodes.find((n) => n !== null && typeof n === "object");
    out.push(Array.isArray(container) ? Number(t) : t);
    nodes = nodes.filter((n) => n !== null && typeof n === "object").map((n) => (n as Record<string, unknown>)[t]);
  }
  return out;
}

/** True when the path is, or lies inside, an object member the matcher ignores. */
function insideIgnoredMember(m: ReturnType<typeof compilePathPatterns>, tokens: (string | number)[]): boolean {
  for (let k = 1; k <= tokens.length; k++) {
    if (typeof tokens[k - 1] === "string" && m.matches(tokens.slice(0, k))) return true;
  }
  return false;
}

test("property: with ignorePaths, strip(apply(A, patch)) == strip(B) and no operation names an ignored member", () => {
  const patterns = ["/meta", "/**/price", "/*/variants/*/stock", "/~1", "/tags/*"];
  const m = compilePathPatterns(patterns);
  fc.assert(
    fc.property(fc.oneof(fc.tuple(jsonArb, jsonArb), editedPairArb), keyedPairArb, ([a, b], [ka, kb]) => {
      for (const [l, r, key] of [[plain(a), plain(b), undefined], [plain(ka), plain(kb), "id"]] as const) {
        const d = diffJson(l, r, { ignorePaths: patterns, arrayMatchKey: key });
        assert.equal(plain(stripIgnored(plain(apply(l, d.patch)), m)), plain(stripIgnored(r, m)));
        for (const op of d.patch) {
          assert.not.ok(insideIgnoredMember(m, typedTokens(op.path, r, l)), op.path);
          if (op.op === "move") assert.not.ok(insideIgnoredMember(m, typedTokens(op.from, l, r)), op.from);
        }
        for (const c of d.changes) {
          const tokens = c.kind === "removed" ? typedTokens(c.path, l) : typedTokens(c.path, r);
          assert.not.ok(insideIgnoredMember(m, tokens), c.path);
        }
      }
    }),
    runs,
  );
});

test("ignorePaths: a pattern ending on an array index ignores nothing; members below indices are ignored", () => {
  const d = diffJson({ tags: ["a"], v: [{ price: 1, sku: "x" }] }, { tags: [], v: [{ price: 2, sku: "y" }] }, {
    ignorePaths: ["/tags/*", "/v/*/price"],
  });
  assert.equal(d.patch, [
    { op: "remove", path: "/tags/0" },
    { op: "replace", path: "/v/0/sku", value: "y" },
  ]);
});

test("property: summary values agree with both documents and counts agree with entries", () => {
  fc.assert(
    fc.property(fc.oneof(fc.tuple(jsonArb, jsonArb), editedPairArb, keyedPairArb.map(([a, b]) => [{ p: a }, { p: b }] as [unknown, unknown])), ([a, b]) => {
      const l = plain(a);
      const r = plain(b);
      const d = diffJson(l, r, { arrayMatchKey: "id" });
      const at = (doc: unknown, ptr: string) => plain(jsonpatch.getValueByPointer(doc, ptr));
      const counts = { added: 0, removed: 0, changed: 0, moved: 0 };
      for (const c of d.changes) {
        counts[c.kind]++;
        if (c.kind === "added") assert.equal(plain(c.newValue), at(r, c.path));
        if (c.kind === "removed") assert.equal(plain(c.oldValue), at(l, c.path));
        if (c.kind === "changed") {
          assert.equal(plain(c.oldValue), at(l, c.from ?? c.path));
          assert.equal(plain(c.newValue), at(r, c.path));
        }
        if (c.kind === "moved") assert.is((at(l, c.from!) as { id: unknown }).id, (at(r, c.path) as { id: unknown }).id);
      }
      assert.equal(counts, d.counts);
    }),
    runs,
  );
});

test.run();
