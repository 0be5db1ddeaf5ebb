import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { MAX_JSON_DEPTH, parseJson, parseJsonPrefix, TOO_DEEP, type JsonPrefix } from "./json-prefix.js";

/** A parse result as plain data (parsed objects have no prototype). */
const plain = (p: JsonPrefix | undefined) => (p === undefined ? undefined : { ...p, value: JSON.parse(JSON.stringify(p.value)) as unknown });

test("a whole document parses as JSON.parse does, and is complete", () => {
  const text = '{"a":[1,-2.5e3,"x\\"y\\u00e9",null,true,false],"b":{"c d":{}},"e":[],"__proto__":1}';
  const p = parseJsonPrefix(text)!;
  assert.equal(plain(p), { value: JSON.parse(text), complete: true, deep: false });
  assert.equal(Object.keys(p.value as object), ["a", "b", "e", "__proto__"]);
  assert.equal(plain(parseJsonPrefix('  {"\\u0070assword": "v"}\n')), { value: { password: "v" }, complete: true, deep: false });
});

test("a cut document: the token being read is left out whole and open containers are closed", () => {
  const cut = (t: string) => plain(parseJsonPrefix(t));
  assert.equal(cut('{"a": "eyJhbGc'), { value: {}, complete: false, deep: false });
  assert.equal(cut('{"a": 1, "b": 12'), { value: { a: 1 }, complete: false, deep: false });
  assert.equal(cut('{"a": [true, "x", tr'), { value: { a: [true, "x"] }, complete: false, deep: false });
  assert.equal(cut('{"a": {"b": null}, "pass'), { value: { a: { b: null } }, complete: false, deep: false });
  assert.equal(cut('[{"k": "v"}, {"k":'), { value: [{ k: "v" }, {}], complete: false, deep: false });
  assert.equal(cut('["x\\"'), { value: [], complete: false, deep: false });
});

test("not JSON: undefined", () => {
  for (const t of ["", "   ", "hello", '{"a" 1}', "[1,]", '{"a":1} trailing', "[1 2]", '{"a":1,}', "'x'", '"cut']) {
    assert.is(parseJsonPrefix(t), undefined, t);
  }
  assert.is(parseJson('{"a":1', true), undefined, "complete content must parse whole");
  assert.equal(plain(parseJson('{"a":1}', false)), { value: { a: 1 }, complete: false, deep: false }, "a head is never complete");
});

test("nesting deeper than MAX_JSON_DEPTH is skipped by a bracket scan and marked; whole or cut", () => {
  const n = 100_000;
  const doc = `{"before": 1, "deep": ${"[".repeat(n)}"x]"${"]".repeat(n)}, "after": 2}`;
  for (const p of [parseJson(doc, true), parseJsonPrefix(doc)]) {
    assert.ok(p !== undefined && p.complete && p.deep);
    const v = p.value as { before: number; deep: unknown; after: number };
    assert.is(v.before, 1);
    assert.is(v.after, 2);
    let d: unknown = v.deep;
    let depth = 1;
    while (Array.isArray(d)) {
      d = d[0];
      depth++;
    }
    assert.is(d, TOO_DEEP);
    assert.is(depth, MAX_JSON_DEPTH);
  }
  const cut = parseJson(`[1, ${"[".repeat(n)}`, false);
  assert.ok(cut !== undefined && !cut.complete);
  assert.is((cut.value as unknown[])[0], 1);
});

/** Every string of a value: member names and string values. */
function strings(v: unknown, out: Set<string> = new Set()): Set<string> {
  if (typeof v === "string") out.add(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v !== null && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      out.add(k);
      strings(x, out);
    }
  }
  return out;
}

test("property: a document parses as JSON.parse does; any cut of it holds only whole strings of it", () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 4 }), fc.boolean(), fc.nat(), (doc, pretty, at) => {
      const text = JSON.stringify(doc, null, pretty ? 2 : 0);
      // A number or literal at the very end may go on past a cut, so only containers and strings
      // are whole by themselves.
      if (typeof doc === "object" && doc !== null) assert.equal(plain(parseJsonPrefix(text))?.value, JSON.parse(text));
      const cut = parseJson(text.slice(0, at % (text.length + 1)), false);
      if (cut === undefined) return;
      const all = strings(JSON.parse(text));
      for (const s of strings(cut.value)) assert.ok(all.has(s), `partial string ${JSON.stringify(s)}`);
    }),
    { numRuns: 500 },
  );
});

test.run();
