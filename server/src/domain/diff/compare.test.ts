import { test } from "uvu";
import * as assert from "uvu/assert";
import { isDomainError, type DomainError } from "../errors.js";
import { compare } from "./index.js";

const enc = (s: string) => new TextEncoder().encode(s);

async function failure(p: Promise<unknown>): Promise<DomainError> {
  try {
    await p;
  } catch (e) {
    if (isDomainError(e)) return e;
    throw e;
  }
  throw new Error("expected a DomainError");
}

test("invalid JSON fails with FailedPrecondition INVALID_JSON naming the side, not the content", async () => {
  const e = await failure(compare(enc('{"a":1}'), enc('{"password":"hunter2"'), "json", "JSON"));
  assert.is(e.name, "FailedPrecondition");
  assert.is(e.details.reason, "INVALID_JSON");
  assert.ok(e.message.includes("right"));
  assert.not.ok(e.message.includes("hunter2"));
  const bad = await failure(compare(new Uint8Array([0xff, 0xfe, 0x7b]), enc("{}"), "json", "UNIFIED"));
  assert.is(bad.details.reason, "INVALID_JSON");
});

test("text that is not UTF-8 fails with FailedPrecondition INVALID_TEXT", async () => {
  const e = await failure(compare(enc("ok"), new Uint8Array([0x61, 0x00, 0x62]), "text", "UNIFIED"));
  assert.is(e.details.reason, "INVALID_TEXT");
});

test("bad options fail with InvalidArgument on the option's field", async () => {
  const cases: [object, string][] = [
    [{ context: -1 }, "options.context"],
    [{ context: 1.5 }, "options.context"],
    [{ ignorePaths: ["nope"] }, "options.ignore_paths[0]"],
    [{ arrayMatchKey: ["id", ""] }, "options.array_match_key[1]"],
    [{ leftName: "a\nb" }, "options.left_name"],
    [{ maxTextBytes: -5 }, "options.max_text_bytes"],
  ];
  for (const [options, field] of cases) {
    const e = await failure(compare(enc("{}"), enc("{}"), "json", "JSON", options));
    assert.is(e.name, "InvalidArgument");
    assert.is(e.details.violations?.[0].field, field);
  }
});

test("text snapshots: JSON hunks, UNIFIED with default names, WORD over the whole text", async () => {
  const l = enc("Soft merino scarf.\nHand wash.\n");
  const r = enc("Soft merino scarf, now in Crème.\nHand wash.\n");
  const j = await compare(l, r, "text", "JSON");
  if (j.format !== "JSON" || j.kind !== "text") throw new Error("expected text JSON");
  assert.equal(j.diff.counts, { addedLines: 1, removedLines: 1 });
  const u = await compare(l, r, "text", "UNIFIED", { context: 0 });
  if (u.format !== "UNIFIED") throw new Error("expected UNIFIED");
  assert.fixture(u.text, "--- a/snapshot.txt\n+++ b/snapshot.txt\n@@ -1,1 +1,1 @@\n-Soft merino scarf.\n+Soft merino scarf, now in Crème.\n");
  const w = await compare(l, r, "text", "WORD");
  if (w.format !== "WORD") throw new Error("expected WORD");
  assert.equal(w.fields, [
    {
      path: "",
      parts: [
        { kind: "unchanged", value: "Soft merino scarf" },
        { kind: "added", value: ", now in Crème" },
        { kind: "unchanged", value: ".\nHand wash.\n" },
      ],
    },
  ]);
});

test("equal snapshots: empty patch, empty unified text, no word fields", async () => {
  const doc = enc('{"products":[{"id":"p-1","title":"Ça"}]}');
  const j = await compare(doc, doc, "json", "JSON");
  if (j.format !== "JSON" || j.kind !== "json") throw new Error("expected json JSON");
  assert.equal(j.diff.patch, []);
  const u = await compare(doc, doc, "json", "UNIFIED");
  if (u.format !== "UNIFIED") throw new Error("expected UNIFIED");
  assert.is(u.text, "");
  const w = await compare(doc, doc, "json", "WORD");
  if (w.format !== "WORD") throw new Error("expected WORD");
  assert.equal(w.fields, []);
});

test("UNIFIED for JSON: arrayMatchKey hides a pure reorder, ignore_paths hides ignored members", async () => {
  const l = enc(JSON.stringify({ updated_at: "t1", products: [{ id: 1, t: "a" }, { id: 2, t: "b" }] }));
  const r = enc(JSON.stringify({ updated_at: "t2", products: [{ id: 2, t: "b" }, { id: 1, t: "a" }] }));
  const u = await compare(l, r, "json", "UNIFIED", { arrayMatchKey: "id", ignorePaths: ["/updated_at"] });
  if (u.format !== "UNIFIED") throw new Error("expected UNIFIED");
  assert.is(u.text, "");
  const raw = await compare(l, r, "json", "UNIFIED");
  if (raw.format !== "UNIFIED") throw new Error("expected UNIFIED");
  assert.ok(raw.text.includes('-  "updated_at": "t1",'));
});

test.run();
