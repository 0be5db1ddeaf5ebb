import { test } from "uvu";
import * as assert from "uvu/assert";
import { isDomainError } from "../errors.js";
import { compilePathPatterns } from "./path-glob.js";

test("a literal pointer matches exactly that path", () => {
  const m = compilePathPatterns(["/updated_at"]);
  assert.ok(m.matches(["updated_at"]));
  assert.not.ok(m.matches(["store", "updated_at"]));
  assert.not.ok(m.matches([]));
  assert.not.ok(m.matches(["updated_at", "x"]));
});

test("* matches exactly one token, keys and indices alike", () => {
  const m = compilePathPatterns(["/variants/*/sync_time"]);
  assert.ok(m.matches(["variants", 0, "sync_time"]));
  assert.ok(m.matches(["variants", "eu", "sync_time"]));
  assert.not.ok(m.matches(["variants", "sync_time"]));
  assert.not.ok(m.matches(["variants", 0, 1, "sync_time"]));
});

test("** matches zero or more tokens", () => {
  const m = compilePathPatterns(["/**/updated_at"]);
  assert.ok(m.matches(["updated_at"]));
  assert.ok(m.matches(["products", 4, "variants", 0, "updated_at"]));
  assert.not.ok(m.matches(["products", 4, "updated_at_x"]));
  const tail = compilePathPatterns(["/meta/**"]);
  assert.ok(tail.matches(["meta"]));
  assert.ok(tail.matches(["meta", "a", 1]));
  assert.not.ok(tail.matches(["metadata"]));
});

test("* inside a segment matches a run of characters within one token", () => {
  const m = compilePathPatterns(["/sync_*", "/*.bak"]);
  assert.ok(m.matches(["sync_time"]));
  assert.ok(m.matches(["sync_"]));
  assert.ok(m.matches(["notes.bak"]));
  assert.not.ok(m.matches(["notes.bakx"]));
  assert.not.ok(m.matches(["async_time"]));
  // Regex metacharacters in patterns are literal.
  assert.not.ok(m.matches(["notesxbak"]));
});

test("~0 and ~1 escapes in patterns name keys holding ~ and /", () => {
  const m = compilePathPatterns(["/seo~1title", "/a~0b"]);
  assert.ok(m.matches(["seo/title"]));
  assert.ok(m.matches(["a~b"]));
  assert.not.ok(m.matches(["seo", "title"]));
});

test("incremental stepping: a state that cannot match stays empty", () => {
  const m = compilePathPatterns(["/a/b"]);
  const s = m.step(m.step(m.root, "x"), "b");
  assert.is(s.length, 0);
  assert.not.ok(m.matched(s));
});

test("malformed patterns fail with InvalidArgument naming the pattern", () => {
  for (const bad of ["", "updated_at", "/bad~2"]) {
    try {
      compilePathPatterns(["/ok", bad]);
      assert.unreachable(`accepted ${JSON.stringify(bad)}`);
    } catch (e) {
      assert.ok(isDomainError(e, "InvalidArgument"));
      assert.is(e.details.violations?.[0].field, "options.ignore_paths[1]");
    }
  }
});

test.run();
