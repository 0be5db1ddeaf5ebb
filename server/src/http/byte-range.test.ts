import { test } from "uvu";
import * as assert from "uvu/assert";
import { decideRange } from "./byte-range.js";

test("single byte ranges: closed, open-ended, suffix, clamped", () => {
  assert.equal(decideRange("bytes=0-0", 10), { kind: "partial", start: 0, end: 0 });
  assert.equal(decideRange("bytes=2-5", 10), { kind: "partial", start: 2, end: 5 });
  assert.equal(decideRange("bytes=7-", 10), { kind: "partial", start: 7, end: 9 });
  assert.equal(decideRange("bytes=-3", 10), { kind: "partial", start: 7, end: 9 });
  assert.equal(decideRange("bytes=-30", 10), { kind: "partial", start: 0, end: 9 });
  assert.equal(decideRange("bytes=5-999999999999999999999", 10), { kind: "partial", start: 5, end: 9 });
  assert.equal(decideRange(" Bytes = 1 - 2 ", 10), { kind: "partial", start: 1, end: 2 });
});

test("malformed and unsatisfiable byte ranges are 416", () => {
  for (const h of ["bytes=5-2", "bytes=-", "bytes=x-1", "bytes=1-x", "bytes=10-", "bytes=10-20", "bytes=-0", "bytes=", "bytes=1.5-2"]) {
    assert.equal(decideRange(h, 10), { kind: "unsatisfiable" }, h);
  }
  assert.equal(decideRange("bytes=0-", 0), { kind: "unsatisfiable" });
  assert.equal(decideRange("bytes=-1", 0), { kind: "unsatisfiable" });
});

test("no header, other units, multiple ranges and a non-matching If-Range serve the full content", () => {
  assert.equal(decideRange(undefined, 10), { kind: "full" });
  assert.equal(decideRange("items=0-1", 10), { kind: "full" });
  assert.equal(decideRange("bytes=0-1,4-5", 10), { kind: "full" });
  assert.equal(decideRange("bytes=0-1", 10, false), { kind: "full" });
});

test.run();
