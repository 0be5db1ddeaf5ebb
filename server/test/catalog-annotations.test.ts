import { toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { AuditService } from "../../gen/vellum/v1/audit_service_pb.js";
import { CatalogService } from "../../gen/vellum/v1/catalog_service_pb.js";
import { SearchService } from "../../gen/vellum/v1/search_service_pb.js";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { expectError } from "./support/expect-error.js";
import { createMemoryHarness, type MemoryHarness } from "./support/memory-client.js";

interface Ctx {
  h: MemoryHarness;
  catalog: Client<typeof CatalogService>;
  audit: Client<typeof AuditService>;
  search: Client<typeof SearchService>;
}
const test = suite<Ctx>("catalog: annotations (in-memory transport, real Postgres)");

test.before(async (ctx) => {
  ctx.h = await createMemoryHarness();
  ctx.catalog = createClient(CatalogService, ctx.h.transport);
  ctx.audit = createClient(AuditService, ctx.h.transport);
  ctx.search = createClient(SearchService, ctx.h.transport);
});
test.after(async (ctx) => {
  await ctx.h.close();
});

const mk = async (h: MemoryHarness, storeId: string) =>
  (await h.snapshots.createSnapshot({ storeId, resourceType: "doc", snapshotType: SnapshotType.BLOB, payload: { case: "data", value: Buffer.from(`${Math.random()}`) } })).snapshot!;

test("annotations are added, listed newest first with paging, audited, and leave the etag alone", async ({ h, catalog, audit }) => {
  const s = await mk(h, "a1");
  const made = [];
  for (const [i, author] of ["", "reviewer-7", "", "qa", ""].entries()) {
    made.push((await catalog.addAnnotation({ storeId: "a1", snapshotId: s.snapshotId, authorId: author, message: `note ${i}\nline two` })).annotation!);
  }
  assert.is(made[1].authorId, "reviewer-7");
  assert.is(made[0].authorId, "local-admin", "defaults to the calling principal");
  assert.match(made[0].createdBy, /local-admin/);
  assert.is(made[0].snapshotId, s.snapshotId);
  const seen: string[] = [];
  let pageToken = "";
  do {
    const page = await catalog.listAnnotations({ storeId: "a1", snapshotId: s.snapshotId, pageSize: 2, pageToken });
    seen.push(...page.annotations.map((a) => a.message));
    pageToken = page.nextPageToken;
  } while (pageToken);
  assert.equal(seen, [4, 3, 2, 1, 0].map((i) => `note ${i}\nline two`));
  assert.is((await h.snapshots.getSnapshot({ storeId: "a1", snapshotId: s.snapshotId })).snapshot!.etag, s.etag);
  const events = (await audit.getSnapshotAudit({ storeId: "a1", snapshotId: s.snapshotId })).events;
  assert.equal(events.map((e) => e.action), ["snapshot.create", ...made.map(() => "snapshot.annotate")]);
  const after = toJson(ValueSchema, events[2].after!) as { message: string; authorId: string; snapshotId: string };
  assert.equal([after.authorId, after.message, after.snapshotId], ["reviewer-7", "note 1\nline two", s.snapshotId]);
  assert.ok((await audit.verifyAuditChain({ storeId: "a1" })).ok);
});

test("annotations are searchable and go with their snapshot when it is purged", async ({ h, catalog, search }) => {
  const s = await mk(h, "a2");
  await catalog.addAnnotation({ storeId: "a2", snapshotId: s.snapshotId, message: "Approved by the zanzibar pricing committee" });
  const hits = await search.searchSnapshots({ storeId: "a2", q: "zanzib" });
  assert.equal(hits.results.map((r) => r.snapshot!.snapshotId), [s.snapshotId]);
  assert.equal(hits.results[0].highlights.annotations.fragments, ["Approved by the <em>zanzibar</em> pricing committee"]);
  await h.snapshots.deleteSnapshot({ storeId: "a2", snapshotId: s.snapshotId, force: true });
  assert.is((await expectError(catalog.listAnnotations({ storeId: "a2", snapshotId: s.snapshotId }))).code, Code.NotFound);
  const [{ n }] = await h.services.database.sql`select count(*)::int as n from snapshot_annotations where snapshot_id = ${s.snapshotId}`;
  assert.is(n, 0);
});

test("refusals: bad input, unknown, deleted and full snapshots, another store", async ({ h, catalog }) => {
  const s = await mk(h, "a3");
  const add = (fields: Record<string, unknown>) => catalog.addAnnotation({ storeId: "a3", snapshotId: s.snapshotId, message: "ok", ...fields });
  for (const bad of [{ message: "" }, { message: "   " }, { message: "x".repeat(4097) }, { message: "nul\u0000byte" }, { authorId: "a".repeat(257) }, { snapshotId: "nope" }]) {
    assert.is((await expectError(add(bad))).code, Code.InvalidArgument, JSON.stringify(bad).slice(0, 40));
  }
  assert.is((await expectError(add({ snapshotId: "00000000-0000-7000-8000-000000000000" }))).code, Code.NotFound);
  assert.is((await expectError(catalog.addAnnotation({ storeId: "a4", snapshotId: s.snapshotId, message: "x" }))).code, Code.NotFound);
  assert.is((await expectError(catalog.listAnnotations({ storeId: "a4", snapshotId: s.snapshotId }))).code, Code.NotFound);

  await h.services.database.sql`insert into snapshot_annotations (id, store_id, snapshot_id, author_id, message, created_by, create_time)
    select gen_random_uuid(), 'a3', ${s.snapshotId}, 'bulk', 'note ' || g, 'test', now() from generate_series(1, 199) g`;
  await add({ message: "the 200th" });
  const full = await expectError(add({ message: "the 201st" }));
  assert.is(full.code, Code.ResourceExhausted);
  assert.match(full.rawMessage, /200 annotations/);

  const d = await mk(h, "a3");
  await h.snapshots.deleteSnapshot({ storeId: "a3", snapshotId: d.snapshotId });
  assert.is((await expectError(catalog.addAnnotation({ storeId: "a3", snapshotId: d.snapshotId, message: "late" }))).code, Code.FailedPrecondition);
});

test.run();
