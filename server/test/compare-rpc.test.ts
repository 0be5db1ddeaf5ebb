import { Code } from "@connectrpc/connect";
import { applyPatch as applyTextPatch } from "diff";
import jsonpatch from "fast-json-patch";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { BadRequestSchema, ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { ChunkSummaryReason, ContentKind, DiffFormat, TarMemberStatus, type CompareResult } from "../../gen/vellum/v1/compare_pb.js";
import { SnapshotType, type Snapshot } from "../../gen/vellum/v1/snapshot_pb.js";
import { makeTar } from "../src/domain/diff/testing/make-tar.js";
import { codeOf, createSnapshot, golden, GOLDEN_OPTIONS, jsonDiffAsPlain, pseudoRandomBytes, wordFieldsAsPlain } from "./compare-helpers.js";
import { createMemoryHarness, type MemoryHarness } from "./support/memory-client.js";

const test = suite<{ h: MemoryHarness; left: Snapshot; right: Snapshot }>("rpc: CompareSnapshots (in-memory transport, real Postgres)");
const STORE = "shop-eu";

test.before(async (ctx) => {
  ctx.h = await createMemoryHarness();
  // Two versions of one resource, so the diff headers read catalog/eu@v1.json and @v2.json.
  ctx.left = await createSnapshot(ctx.h, STORE, golden("catalog-left.json"), { resourceId: "eu" });
  ctx.right = await createSnapshot(ctx.h, STORE, golden("catalog-right.json"), { resourceId: "eu" });
});
test.after(async (ctx) => {
  await ctx.h.close();
});

async function compareNow(
  h: MemoryHarness,
  left: Snapshot,
  right: Snapshot,
  format: DiffFormat,
  options: { context?: number; ignorePaths?: string[]; arrayMatchKey?: string[] } = {},
): Promise<CompareResult> {
  const res = await h.compare.compareSnapshots({
    storeId: left.storeId,
    leftSnapshotId: left.snapshotId,
    rightSnapshotId: right.snapshotId,
    format,
    options,
  });
  if (res.outcome.case !== "result") throw new Error(`expected a synchronous result, got ${res.outcome.case}`);
  return res.outcome.value;
}

const NAMES = { left: "catalog/eu@v1.json", right: "catalog/eu@v2.json" };

test("JSON: RFC 6902 patch, per-path summary and counts equal the golden diff; the patch turns left into right", async ({ h, left, right }) => {
  const r = await compareNow(h, left, right, DiffFormat.JSON, GOLDEN_OPTIONS);
  assert.is(r.format, DiffFormat.JSON);
  assert.is(r.kind, ContentKind.JSON);
  assert.is(r.leftSnapshotId, left.snapshotId);
  assert.is(r.rightSnapshotId, right.snapshotId);
  assert.is(r.sameContent, false);
  if (r.body.case !== "json") throw new Error(`unexpected body ${r.body.case}`);
  const plain = jsonDiffAsPlain(r.body.value);
  assert.equal(plain, JSON.parse(golden("expected-json.json")));
  assert.ok(plain.counts.moved > 0, "keyed products that changed position are moves");

  // Without options the patch is exact: it rebuilds the right document from the left one.
  const exact = await compareNow(h, left, right, DiffFormat.JSON);
  if (exact.body.case !== "json") throw new Error("unexpected body");
  const ops = jsonDiffAsPlain(exact.body.value).patch as jsonpatch.Operation[];
  const rebuilt = jsonpatch.applyPatch(JSON.parse(golden("catalog-left.json")), ops).newDocument;
  assert.equal(rebuilt, JSON.parse(golden("catalog-right.json")));
});

test("array_match_key: matching by id/sku turns a reordered list into moves instead of a wall of changes", async ({ h }) => {
  const products = Array.from({ length: 8 }, (_, i) => ({ id: `p-${i}`, title: `Product ${i}`, price: `${10 + i}.00`, stock: i }));
  const reordered = [...products].reverse().map((p) => (p.id === "p-3" ? { ...p, price: "99.00" } : p));
  const a = await createSnapshot(h, STORE, JSON.stringify({ products }));
  const b = await createSnapshot(h, STORE, JSON.stringify({ products: reordered }));
  const byIndex = await compareNow(h, a, b, DiffFormat.JSON);
  const byKey = await compareNow(h, a, b, DiffFormat.JSON, { arrayMatchKey: ["id"] });
  if (byIndex.body.case !== "json" || byKey.body.case !== "json") throw new Error("unexpected body");
  const keyed = jsonDiffAsPlain(byKey.body.value);
  assert.equal(
    keyed.changes.filter((c) => c.kind === "changed"),
    [{ kind: "changed", path: "/products/4/price", from: "/products/3/price", oldValue: "13.00", newValue: "99.00" }],
  );
  assert.ok(keyed.counts.moved > 0 && keyed.counts.added === 0 && keyed.counts.removed === 0);
  // By position the reversed list aligns one element at best: the rest is removed and added again.
  const positional = byIndex.body.value.counts!;
  assert.equal([positional.added, positional.removed, positional.moved], [7, 7, 0]);
  assert.ok(byIndex.body.value.patch.length > keyed.patch.length);
});

test("ignore_paths: pointers and globs leave members out of every format", async ({ h }) => {
  const doc = (t: string, price: string) => ({ updated_at: t, variants: [{ sku: "A", price, sync_time: t }, { sku: "B", price: "5.00", sync_time: t }] });
  const a = await createSnapshot(h, STORE, JSON.stringify(doc("2024-05-01", "1.00")));
  const b = await createSnapshot(h, STORE, JSON.stringify(doc("2024-06-01", "2.00")));
  const all = await compareNow(h, a, b, DiffFormat.JSON);
  if (all.body.case !== "json") throw new Error("unexpected body");
  assert.equal(all.body.value.changes.map((c) => c.path), ["/updated_at", "/variants/0/price", "/variants/0/sync_time", "/variants/1/sync_time"]);
  const ignorePaths = ["/updated_at", "/variants/*/sync_time"];
  const some = await compareNow(h, a, b, DiffFormat.JSON, { ignorePaths });
  if (some.body.case !== "json") throw new Error("unexpected body");
  assert.equal(some.body.value.changes.map((c) => c.path), ["/variants/0/price"]);
  const unified = await compareNow(h, a, b, DiffFormat.UNIFIED, { ignorePaths, context: 0 });
  if (unified.body.case !== "unified") throw new Error("unexpected body");
  assert.not.match(unified.body.value, /sync_time|updated_at/);
  assert.match(unified.body.value, /^-\s+"price": "1\.00"$/m);
  assert.match(unified.body.value, /^\+\s+"price": "2\.00"$/m);
});

test("UNIFIED: the golden diff under snapshot-named headers, and it applies to the left rendering", async ({ h, left, right }) => {
  const r = await compareNow(h, left, right, DiffFormat.UNIFIED, GOLDEN_OPTIONS);
  assert.is(r.kind, ContentKind.JSON);
  if (r.body.case !== "unified") throw new Error("unexpected body");
  const expected = golden("expected-unified.diff")
    .replace("--- a/catalog.json", `--- a/${NAMES.left}`)
    .replace("+++ b/catalog.json", `+++ b/${NAMES.right}`);
  assert.fixture(r.body.value, expected);
  const leftDoc = JSON.parse(golden("catalog-left.json"));
  delete leftDoc.updated_at;
  for (const p of leftDoc.products) for (const v of p.variants) delete v.sync_time;
  assert.type(applyTextPatch(`${JSON.stringify(leftDoc, null, 2)}\n`, r.body.value), "string");
});

test("WORD: word-level diffs of the changed prose equal the golden file", async ({ h, left, right }) => {
  const r = await compareNow(h, left, right, DiffFormat.WORD, GOLDEN_OPTIONS);
  if (r.body.case !== "word") throw new Error("unexpected body");
  assert.equal(wordFieldsAsPlain(r.body.value.fields), JSON.parse(golden("expected-word.json")));
});

test("HTML: the golden side-by-side page, titled and headed with the snapshots' names", async ({ h, left, right }) => {
  const r = await compareNow(h, left, right, DiffFormat.HTML, GOLDEN_OPTIONS);
  if (r.body.case !== "html") throw new Error("unexpected body");
  const title = `Compare ${NAMES.left} → ${NAMES.right}`;
  const expected = golden("expected.html")
    .replaceAll("Catalog &lt;v1&gt; vs &lt;v2&gt;", title)
    .replace("a/catalog.json → b/catalog.json", `a/${NAMES.left} → b/${NAMES.right}`);
  assert.fixture(r.body.value, expected);
});

test("HTML: markup in content is escaped, never executed", async ({ h }) => {
  const a = await createSnapshot(h, STORE, JSON.stringify({ description: "Plain" }));
  const b = await createSnapshot(h, STORE, JSON.stringify({ description: "<script>alert(1)</script><img src=x onerror=alert(2)>" }));
  const r = await compareNow(h, a, b, DiffFormat.HTML);
  if (r.body.case !== "html") throw new Error("unexpected body");
  assert.not.match(r.body.value, /<script/i);
  assert.not.match(r.body.value, /<img/i);
  assert.match(r.body.value, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(r.body.value, /Content-Security-Policy/);
});

test("identical content: same_content is set and every format shows no change", async ({ h, left }) => {
  const twin = await createSnapshot(h, STORE, golden("catalog-left.json"));
  const j = await compareNow(h, left, twin, DiffFormat.JSON);
  assert.is(j.sameContent, true);
  if (j.body.case !== "json") throw new Error("unexpected body");
  assert.equal(j.body.value.patch, []);
  const u = await compareNow(h, left, twin, DiffFormat.UNIFIED);
  assert.equal(u.body, { case: "unified", value: "" });
});

test("TAR: per-member added, removed and changed, with unified diffs for text members", async ({ h }) => {
  const a = await makeTar([
    { name: "config/app.yaml", content: "name: shop\nreplicas: 2\nregion: eu\n" },
    { name: "README.md", content: "# Shop\n" },
    { name: "logo.png", content: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]) },
  ]);
  const b = await makeTar([
    { name: "config/app.yaml", content: "name: shop\nreplicas: 3\nregion: eu\n" },
    { name: "logo.png", content: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 9, 9, 9]) },
    { name: "CHANGELOG.md", content: "- more replicas\n" },
  ]);
  const l = await createSnapshot(h, STORE, a, { type: SnapshotType.TAR, resourceType: "bundle" });
  const r = await createSnapshot(h, STORE, b, { type: SnapshotType.TAR, resourceType: "bundle" });
  const res = await compareNow(h, l, r, DiffFormat.JSON);
  assert.is(res.kind, ContentKind.TAR);
  if (res.body.case !== "tar") throw new Error("unexpected body");
  const t = res.body.value;
  assert.equal([t.added, t.removed, t.changed, t.unchanged], [1, 1, 2, 0]);
  const byName = new Map(t.members.map((m) => [m.name, m]));
  assert.is(byName.get("CHANGELOG.md")!.status, TarMemberStatus.ADDED);
  assert.is(byName.get("README.md")!.status, TarMemberStatus.REMOVED);
  const yaml = byName.get("config/app.yaml")!;
  assert.is(yaml.status, TarMemberStatus.CHANGED);
  assert.ok(yaml.text);
  assert.match(yaml.unified, /^-replicas: 2$/m);
  assert.match(yaml.unified, /^\+replicas: 3$/m);
  const png = byName.get("logo.png")!;
  assert.is(png.text, false);
  assert.is(png.unified, "");
  assert.is.not(png.left!.sha256, png.right!.sha256);
  const unified = await compareNow(h, l, r, DiffFormat.UNIFIED);
  if (unified.body.case !== "unified") throw new Error("unexpected body");
  assert.match(unified.body.value, /Binary files a\/logo\.png and b\/logo\.png differ/);
  assert.match(unified.body.value, /^\+\+\+ b\/CHANGELOG\.md$/m);
});

test("text content of other snapshot types is compared as text", async ({ h }) => {
  const a = await createSnapshot(h, STORE, "CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n", { type: SnapshotType.DB, resourceType: "db" });
  const b = await createSnapshot(h, STORE, "CREATE TABLE t (id int);\nINSERT INTO t VALUES (2);\n", { type: SnapshotType.DB, resourceType: "db" });
  const r = await compareNow(h, a, b, DiffFormat.UNIFIED, { context: 1 });
  assert.is(r.kind, ContentKind.TEXT);
  if (r.body.case !== "unified") throw new Error("unexpected body");
  assert.match(r.body.value, /^-INSERT INTO t VALUES \(1\);$/m);
  assert.match(r.body.value, /^\+INSERT INTO t VALUES \(2\);$/m);
  const j = await compareNow(h, a, b, DiffFormat.JSON);
  if (j.body.case !== "text") throw new Error("unexpected body");
  assert.equal([j.body.value.addedLines, j.body.value.removedLines], [1, 1]);
});

test("binary: two 4 MB blobs differing in 100 bytes give a chunk summary covering just that region", async ({ h }) => {
  const size = 4_000_000;
  const a = pseudoRandomBytes(size, 7);
  const b = Uint8Array.from(a);
  const at = 2_000_000;
  for (let i = at; i < at + 100; i++) b[i] ^= 0xff;
  const l = await createSnapshot(h, STORE, a, { type: SnapshotType.BLOB, resourceType: "blob" });
  const r = await createSnapshot(h, STORE, b, { type: SnapshotType.BLOB, resourceType: "blob" });
  const res = await compareNow(h, l, r, DiffFormat.JSON);
  assert.is(res.format, DiffFormat.CHUNKS);
  assert.is(res.kind, ContentKind.BINARY);
  if (res.body.case !== "chunks") throw new Error("unexpected body");
  const c = res.body.value;
  assert.is(c.reason, ChunkSummaryReason.BINARY);
  assert.is(c.leftSize, BigInt(size));
  assert.is(c.rightSize, BigInt(size));
  const covered = (ranges: { offset: bigint; length: bigint }[]) =>
    ranges.some((x) => x.offset <= BigInt(at) && x.offset + x.length >= BigInt(at + 100));
  assert.ok(covered(c.changedRanges), "a changed range covers the edited bytes");
  assert.ok(covered(c.removedRanges), "a removed range covers the old bytes");
  assert.ok(c.bytesChanged > 0n && c.bytesChanged < BigInt(size / 10), `changed ${c.bytesChanged} of ${size} bytes`);
  assert.ok(c.counts!.unchanged > c.counts!.changed * 10n);
  // Same answer when asked for CHUNKS explicitly, with the reason saying so.
  const asked = await compareNow(h, l, r, DiffFormat.CHUNKS);
  if (asked.body.case !== "chunks") throw new Error("unexpected body");
  assert.is(asked.body.value.reason, ChunkSummaryReason.REQUESTED);
  assert.equal(asked.body.value.changedRanges, c.changedRanges);
});

test("invalid ids, format or options are INVALID_ARGUMENT with field violations", async ({ h, left }) => {
  const bad = await codeOf(
    h.compare.compareSnapshots({ storeId: "bad store!", leftSnapshotId: "nope", rightSnapshotId: left.snapshotId, format: DiffFormat.UNSPECIFIED }),
  );
  assert.is(bad.code, Code.InvalidArgument);
  const fields = bad.findDetails(BadRequestSchema)[0].fieldViolations.map((v) => v.field);
  assert.equal(fields.sort(), ["format", "left_snapshot_id", "store_id"]);
  const ctx = await codeOf(
    h.compare.compareSnapshots({ storeId: STORE, leftSnapshotId: left.snapshotId, rightSnapshotId: left.snapshotId, format: DiffFormat.UNIFIED, options: { context: 5000 } }),
  );
  assert.is(ctx.code, Code.InvalidArgument);
  assert.equal(ctx.findDetails(BadRequestSchema)[0].fieldViolations.map((v) => v.field), ["options.context"]);
  const glob = await codeOf(
    h.compare.startCompare({ storeId: STORE, leftSnapshotId: left.snapshotId, rightSnapshotId: left.snapshotId, format: DiffFormat.JSON, options: { ignorePaths: ["updated_at"] } }),
  );
  assert.is(glob.code, Code.InvalidArgument);
});

test("unknown snapshots, and snapshots of another store, are NOT_FOUND", async ({ h, left }) => {
  const missing = "0190f5a2-0000-7000-8000-000000000000";
  const e1 = await codeOf(
    h.compare.compareSnapshots({ storeId: STORE, leftSnapshotId: left.snapshotId, rightSnapshotId: missing, format: DiffFormat.JSON }),
  );
  assert.is(e1.code, Code.NotFound);
  const e2 = await codeOf(
    h.compare.compareSnapshots({ storeId: "other-store", leftSnapshotId: left.snapshotId, rightSnapshotId: left.snapshotId, format: DiffFormat.JSON }),
  );
  assert.is(e2.code, Code.NotFound);
  const e3 = await codeOf(h.compare.previewSnapshot({ storeId: STORE, snapshotId: missing }));
  assert.is(e3.code, Code.NotFound);
});

test("JSON snapshots holding different kinds of content fail cleanly: a tar against JSON is compared by chunks", async ({ h, left }) => {
  const tarBytes = await makeTar([{ name: "a.txt", content: "a\n" }]);
  const t = await createSnapshot(h, STORE, tarBytes, { type: SnapshotType.TAR, resourceType: "bundle" });
  const r = await compareNow(h, left, t, DiffFormat.UNIFIED);
  assert.is(r.format, DiffFormat.CHUNKS);
  assert.is(r.body.case, "chunks");
  const broken = await createSnapshot(h, STORE, "not a tar archive at all", { type: SnapshotType.TAR, resourceType: "bundle" });
  const e = await codeOf(
    h.compare.compareSnapshots({ storeId: STORE, leftSnapshotId: t.snapshotId, rightSnapshotId: broken.snapshotId, format: DiffFormat.JSON }),
  );
  assert.is(e.code, Code.FailedPrecondition);
  assert.is(e.findDetails(ErrorInfoSchema)[0].reason, "INVALID_TAR");
});

test("a deleted snapshot's content cannot be compared: FAILED_PRECONDITION SNAPSHOT_DELETED", async ({ h, left }) => {
  const gone = await createSnapshot(h, STORE, JSON.stringify({ a: 1 }));
  await h.snapshots.deleteSnapshot({ storeId: STORE, snapshotId: gone.snapshotId });
  const e = await codeOf(
    h.compare.compareSnapshots({ storeId: STORE, leftSnapshotId: left.snapshotId, rightSnapshotId: gone.snapshotId, format: DiffFormat.JSON }),
  );
  assert.is(e.code, Code.FailedPrecondition);
  assert.is(e.findDetails(ErrorInfoSchema)[0].reason, "SNAPSHOT_DELETED");
});

test.run();
