import { test } from "uvu";
import * as assert from "uvu/assert";
import { escapeToken, formatPointer, parsePointer, unescapeToken } from "./json-pointer.js";

test("escapeToken: ~ becomes ~0 and / becomes ~1, in that order", () => {
  assert.is(escapeToken("a/b"), "a~1b");
  assert.is(escapeToken("c~d"), "c~0d");
  assert.is(escapeToken("~1"), "~01");
  assert.is(escapeToken("/~"), "~1~0");
});

test("unescapeToken undoes escapeToken (~01 is ~1, not /)", () => {
  assert.is(unescapeToken("~01"), "~1");
  assert.is(unescapeToken("~1~0"), "/~");
  for (const s of ["", "plain", "a/b~c", "~~//", "ü/ñ"]) assert.is(unescapeToken(escapeToken(s)), s);
});

test("formatPointer: root is empty; indices are numbers; keys are escaped", () => {
  assert.is(formatPointer([]), "");
  assert.is(formatPointer(["products", 3, "seo/title"]), "/products/3/seo~1title");
  assert.is(formatPointer([""]), "/");
});

test("parsePointer: round trip, and rejects malformed pointers", () => {
  assert.equal(parsePointer(""), []);
  assert.equal(parsePointer("/"), [""]);
  assert.equal(parsePointer("/a~1b/~0/0"), ["a/b", "~", "0"]);
  assert.is(parsePointer("no-slash"), undefined);
  assert.is(parsePointer("/bad~2escape"), undefined);
  assert.is(parsePointer("/trailing~"), undefined);
});

test.run();
