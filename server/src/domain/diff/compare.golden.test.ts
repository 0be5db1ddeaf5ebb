import { readFileSync } from "node:fs";
import { join } from "node:path";
import { applyPatch as applyTextPatch } from "diff";
import jsonpatch from "fast-json-patch";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compare } from "./index.js";

const dir = join(import.meta.dirname, "testdata");
const bytes = (name: string) => new Uint8Array(readFileSync(join(dir, name)));
const text = (name: string) => readFileSync(join(dir, name), "utf8");
const left = bytes("catalog-left.json");
const right = bytes("catalog-right.json");
const options = {
  arrayMatchKey: ["id", "sku"],
  ignorePaths: ["/updated_at", "/products/*/variants/*/sync_time"],
  leftName: "catalog.json",
};

test("JSON format: patch, per-path summary and counts match the golden file", async () => {
  const r = await compare(left, right, "json", "JSON", options);
  assert.is(r.format, "JSON");
  if (r.format !== "JSON" || r.kind !== "json") throw new Error("unexpected result shape");
  assert.equal(JSON.parse(JSON.stringify(r.diff)), JSON.parse(text("expected-json.json")));
});

test("JSON format: the golden patch turns left into right except for ignored members", async () => {
  const r = await compare(left, right, "json", "JSON", options);
  if (r.format !== "JSON" || r.kind !== "json") throw new Error("unexpected result shape");
  const out = jsonpatch.applyPatch(JSON.parse(text("catalog-left.json")), r.diff.patch as jsonpatch.Operation[]).newDocument as {
    updated_at: string;
    products: { variants: { sync_time: string }[] }[];
  };
  const expected = JSON.parse(text("catalog-right.json"));
  // Ignored members keep their left values: the root updated_at, and the variants' sync_time
  // (LS-L and CV-40 arrive whole, with their right-hand sync_time).
  assert.is(out.updated_at, "2024-05-01T10:00:00Z");
  assert.is(out.products[1].variants[1].sync_time, "2024-05-01T10:00:00Z");
  assert.is(out.products[1].variants[2].sync_time, "2024-06-01T08:30:00Z");
  expected.updated_at = out.updated_at;
  expected.products[1].variants[0].sync_time = out.products[1].variants[0].sync_time;
  expected.products[1].variants[1].sync_time = out.products[1].variants[1].sync_time;
  assert.equal(out, expected);
});

test("JSON format without options: the reorder is positional, and the patch is exact", async () => {
  const r = await compare(left, right, "json", "JSON");
  if (r.format !== "JSON" || r.kind !== "json") throw new Error("unexpected result shape");
  assert.is(r.diff.counts.moved, 0);
  assert.ok(r.diff.changes.some((c) => c.path === "/updated_at" && c.kind === "changed"));
  const out = jsonpatch.applyPatch(JSON.parse(text("catalog-left.json")), r.diff.patch as jsonpatch.Operation[]).newDocument;
  assert.equal(out, JSON.parse(text("catalog-right.json")));
});

test("UNIFIED format matches the golden diff, and the diff applies to the left rendering", async () => {
  const r = await compare(left, right, "json", "UNIFIED", options);
  if (r.format !== "UNIFIED") throw new Error("unexpected result shape");
  assert.fixture(r.text, text("expected-unified.diff"));
  const leftPretty = `${JSON.stringify(stripForText(JSON.parse(text("catalog-left.json"))), null, 2)}\n`;
  const applied = applyTextPatch(leftPretty, r.text);
  if (applied === false) throw new Error("unified diff does not apply");
  // The text shows right's keyed arrays in left-hand order: p-400 follows p-100, its right-hand predecessor.
  const doc = JSON.parse(applied) as { products: { id: string }[] };
  assert.equal(doc.products.map((p) => p.id), ["p-100", "p-400", "p-300"]);
  const byId = (d: { products: { id: string }[] }) => ({ ...d, products: [...d.products].sort((a, b) => a.id.localeCompare(b.id)) });
  assert.equal(byId(doc), byId(stripForText(JSON.parse(text("catalog-right.json")))));
});

test("UNIFIED format: context 0 keeps only changed lines", async () => {
  const r = await compare(left, right, "json", "UNIFIED", { ...options, context: 0 });
  if (r.format !== "UNIFIED") throw new Error("unexpected result shape");
  const lines = r.text.split("\n").filter((l) => l !== "");
  assert.ok(lines.every((l) => /^(---|\+\+\+|@@|[-+])/.test(l)), "no context lines");
  assert.ok(lines.includes('-          "stock": 0'));
  assert.ok(lines.includes('+          "stock": 5'));
  // A unified diff with zero context still applies to the left rendering.
  const leftPretty = `${JSON.stringify(stripForText(JSON.parse(text("catalog-left.json"))), null, 2)}\n`;
  assert.type(applyTextPatch(leftPretty, r.text), "string");
});

/** The left document as the text formats render it (ignored members removed). */
function stripForText(doc: { updated_at?: string; products: { id: string; variants: { sync_time?: string }[] }[] }) {
  delete doc.updated_at;
  for (const p of doc.products) for (const v of p.variants) delete v.sync_time;
  return doc;
}

test("WORD format: word diffs of the changed string values match the golden file", async () => {
  const r = await compare(left, right, "json", "WORD", options);
  if (r.format !== "WORD") throw new Error("unexpected result shape");
  assert.equal(r.fields, JSON.parse(text("expected-word.json")));
});

test("HTML format matches the golden page", async () => {
  const r = await compare(left, right, "json", "HTML", { ...options, title: "Catalog <v1> vs <v2>" });
  if (r.format !== "HTML") throw new Error("unexpected result shape");
  assert.fixture(r.html, text("expected.html"));
});

test.run();
