import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { canonicalJson } from "./canonical-json.js";

test("sorts keys recursively, no whitespace", () => {
  assert.is(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }), '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
});

test("RFC 8785 examples: number forms and UTF-16 key order", () => {
  assert.is(canonicalJson([1e21, 1e-7, 0.1, -0, 100, 4.5, 333333333.3333333]), "[1e+21,1e-7,0.1,0,100,4.5,333333333.3333333]");
  // "\u20ac" (€) sorts after "\r" and before "\ud83d\ude00" (😀, a surrogate pair) by code units.
  assert.is(canonicalJson({ "😀": 3, "€": 2, "\r": 1 }), '{"\\r":1,"€":2,"😀":3}');
  assert.is(canonicalJson({ "\ufb33": 1, "\ud83d\ude00": 2 }), '{"\ud83d\ude00":2,"\ufb33":1}');
});

test("strings are escaped like JSON.stringify, lone surrogates included", () => {
  assert.is(canonicalJson('a"b\\c\n\u0001'), JSON.stringify('a"b\\c\n\u0001'));
  assert.is(canonicalJson("\ud800"), '"\\ud800"');
});

test("undefined: omitted in objects, null in arrays, refused at top level", () => {
  assert.is(canonicalJson({ a: undefined, b: 1 }), '{"b":1}');
  assert.is(canonicalJson([undefined, 1]), "[null,1]");
  assert.throws(() => canonicalJson(undefined), /undefined/);
});

test("extensions: Date, bigint, Uint8Array, null-prototype objects", () => {
  assert.is(canonicalJson({ t: new Date("2026-01-02T03:04:05.678Z") }), '{"t":"2026-01-02T03:04:05.678Z"}');
  assert.is(canonicalJson({ n: 12345678901234567890n }), '{"n":12345678901234567890}');
  assert.is(canonicalJson(new Uint8Array([0xfb, 0xff])), '"+/8="');
  const bare = Object.create(null) as Record<string, unknown>;
  bare.x = 1;
  assert.is(canonicalJson(bare), '{"x":1}');
});

test("objects with a plain-object prototype chain serialize own keys (protobuf-es proto2 style)", () => {
  const defaults = { name: "" };
  const msg = Object.create(defaults) as Record<string, unknown>;
  msg.id = "x";
  assert.is(canonicalJson(msg), '{"id":"x"}');
});

test("refuses values without a canonical form", () => {
  for (const bad of [NaN, Infinity, () => 1, Symbol("s"), new Map(), new Set([1]), new (class Foo {})()]) {
    assert.throws(() => canonicalJson({ v: bad }), TypeError);
  }
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => canonicalJson(cyclic), /cycle/);
});

test("shared (non-cyclic) references are fine", () => {
  const shared = { a: 1 };
  assert.is(canonicalJson([shared, shared]), '[{"a":1},{"a":1}]');
});

test("property: parses back to the same JSON value and ignores key order", () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      const s = canonicalJson(v);
      assert.equal(JSON.parse(s), JSON.parse(JSON.stringify(v)));
      const reordered = JSON.parse(JSON.stringify(v), (_k, x) =>
        x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).reverse()) : x,
      );
      assert.is(canonicalJson(reordered), s);
    }),
    { numRuns: 300 },
  );
});

test.run();
