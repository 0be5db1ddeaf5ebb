import { createClient, createRouterTransport, Code, type Client } from "@connectrpc/connect";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { CatalogService } from "../../gen/vellum/v1/catalog_service_pb.js";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { SearchService, type SearchSnapshotsResponse } from "../../gen/vellum/v1/search_service_pb.js";
import { SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import type { SearchFilters } from "../../gen/vellum/v1/search_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { SearchFiltersSchema } from "../../gen/vellum/v1/search_pb.js";
import { createRoutes } from "../src/app.js";
import type { Principal } from "../src/domain/auth/principal.js";
import { silentLogger } from "../src/lib/logger.js";
import type { Authenticate } from "../src/rpc/request-gate.js";
import { expectError } from "./support/expect-error.js";
import { createMemoryHarness, type MemoryHarness } from "./support/memory-client.js";
import { buildCorpus } from "./support/search-corpus.js";

/** Callers are whoever x-test-user names (so created_by varies), with every scope. */
const authenticate: Authenticate = async (headers) =>
  ({ id: headers.get("x-test-user") ?? "local-admin", kind: "jwt", scopes: new Set(["snapshot:admin"]), stores: "*" }) as Principal;

const STORE = "catalog";
const N = 10_000;

interface Ctx {
  h: MemoryHarness;
  search: Client<typeof SearchService>;
  catalog: Client<typeof CatalogService>;
  sql: MemoryHarness["services"]["database"]["sql"];
  special: Record<string, string>;
}
const test = suite<Ctx>(`search: ${N.toLocaleString("en")} snapshots (in-memory transport, real Postgres)`);

test.before(async (ctx) => {
  // The setup writes about 500 annotations as fast as the machine allows: above the default write
  // rate limit on a fast machine. Rate limits are tested elsewhere.
  ctx.h = await createMemoryHarness(authenticate, { VELLUM_RATE_WRITE_PER_SEC: "1000000", VELLUM_RATE_WRITE_BURST: "1000000" });
  ctx.sql = ctx.h.services.database.sql;
  const { routes, interceptors, requestGate } = createRoutes({ ...ctx.h.services, authenticate, log: silentLogger });
  const as = (user: string) =>
    createRouterTransport(routes, {
      router: { interceptors, requestGate },
      transport: { interceptors: [(next) => (req) => (req.header.set("x-test-user", user), next(req))] },
    });
  ctx.search = createClient(SearchService, ctx.h.transport);
  ctx.catalog = createClient(CatalogService, ctx.h.transport);
  const corpus = buildCorpus(N);
  const ids: string[] = [];
  for (const g of corpus.groups) {
    const snaps = createClient(SnapshotService, as(g.creator));
    for (let i = 0; i < g.items.length; i += 1000) {
      const { results } = await snaps.batchCreateSnapshots({ storeId: STORE, atomic: true, requests: g.items.slice(i, i + 1000) });
      ids.push(...results.map((r) => r.snapshot!.snapshotId));
    }
  }
  for (let i = 0; i < corpus.annotations.length; i += 10) {
    await Promise.all(corpus.annotations.slice(i, i + 10).map((a) => ctx.catalog.addAnnotation({ storeId: STORE, snapshotId: ids[a.position], message: a.message })));
  }
  // Creation times spread over 90 days, as a real store's would be.
  await ctx.sql`update snapshots s set create_time = s.create_time - ((x.n * 7919) % 90) * interval '1 day'
    from (select id, row_number() over (order by id) as n from snapshots where store_id = ${STORE}) x where s.id = x.id`;
  // Four snapshots with one rare word each in a field of weight A, B, C and D, for ranking.
  const snaps = createClient(SnapshotService, as("mahogany-bot"));
  const mk = async (fields: Record<string, unknown>) =>
    (await snaps.createSnapshot({ storeId: STORE, resourceType: "note", snapshotType: SnapshotType.BLOB, payload: { case: "data", value: Buffer.from("x") }, ...fields })).snapshot!.snapshotId;
  ctx.special = {
    tag: await createClient(SnapshotService, ctx.h.transport).createSnapshot({ storeId: STORE, resourceType: "note", tags: ["mahogany"], snapshotType: SnapshotType.BLOB, payload: { case: "data", value: Buffer.from("a") } }).then((r) => r.snapshot!.snapshotId),
    message: await createClient(SnapshotService, ctx.h.transport).createSnapshot({ storeId: STORE, resourceType: "note", metadata: { commitMessage: "<script>alert(1)</script> Mahogany & oak" }, snapshotType: SnapshotType.BLOB, payload: { case: "data", value: Buffer.from("b") } }).then((r) => r.snapshot!.snapshotId),
    annotation: await createClient(SnapshotService, ctx.h.transport).createSnapshot({ storeId: STORE, resourceType: "note", snapshotType: SnapshotType.BLOB, payload: { case: "data", value: Buffer.from("c") } }).then((r) => r.snapshot!.snapshotId),
    creator: await mk({}),
  };
  await ctx.catalog.addAnnotation({ storeId: STORE, snapshotId: ctx.special.annotation, message: "Checked the mahogany veneer" });
});
test.after(async (ctx) => {
  await ctx.h.close();
});

/** Independent truth: live snapshots where some searched field has a word starting with each term. */
function truthWhere(ctx: Ctx, terms: string[]) {
  const s = ctx.sql;
  const one = (t: string) => {
    const re = `(^|[^[:alnum:]])${t}`;
    return s`(s.commit_message ~* ${re} or s.resource_id ~* ${re} or s.resource_type ~* ${re} or s.created_by ~* ${re}
      or exists (select 1 from unnest(s.tags) x where x ~* ${re})
      or exists (select 1 from jsonb_each_text(s.labels) e where e.value ~* ${re})
      or exists (select 1 from snapshot_annotations a where a.snapshot_id = s.id and a.message ~* ${re}))`;
  };
  return terms.reduce((acc, t) => s`${acc} and ${one(t)}`, s`s.store_id = ${STORE} and s.state = 'ACTIVE'`);
}

async function allPages(ctx: Ctx, q: string, filters?: MessageInitShape<typeof SearchFiltersSchema>, pageSize = 100) {
  const pages: SearchSnapshotsResponse[] = [];
  let pageToken = "";
  do {
    const page = await ctx.search.searchSnapshots({ storeId: STORE, q, filters, pageSize, pageToken });
    pages.push(page);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return { pages, results: pages.flatMap((p) => p.results) };
}

const facetTruth = async (ctx: Ctx, where: ReturnType<typeof truthWhere>, expr: string) =>
  (
    await ctx.sql`select v, count(*)::int as n from (select ${ctx.sql.unsafe(expr)} as v from snapshots s where ${where}) x
      group by v order by n desc, v limit 20`
  ).map((r) => [r.v as string, r.n as number]);

for (const q of ["chai", "walnut chai", "merchandis", "rotterdam", "release", "sku oak"]) {
  test(`"${q}": every match on some page exactly once, by score; total and facets equal SQL truth`, async (ctx) => {
    const terms = q.split(" ");
    const where = truthWhere(ctx, terms);
    const truth = new Set((await ctx.sql`select s.id from snapshots s where ${where}`).map((r) => r.id as string));
    assert.ok(truth.size > 0, "the query matches something");
    const { pages, results } = await allPages(ctx, q);
    const got = results.map((r) => r.snapshot!.snapshotId);
    assert.is(new Set(got).size, got.length, "no snapshot on two pages");
    assert.equal(new Set(got), truth);
    for (const p of pages) assert.is(Number(p.totalSize), truth.size);
    for (let i = 1; i < results.length; i++) assert.ok(results[i - 1].score >= results[i].score, `scores do not increase (${i})`);
    const facets = pages[0].facets!;
    assert.equal(facets.resourceTypes.map((f) => [f.value, Number(f.count)]), await facetTruth(ctx, where, "s.resource_type"));
    assert.equal(facets.createdBy.map((f) => [f.value, Number(f.count)]), await facetTruth(ctx, where, "s.created_by"));
    assert.equal(facets.tags.map((f) => [f.value, Number(f.count)]), await facetTruth(ctx, where, "unnest(s.tags)"));
    assert.equal(
      facets.snapshotTypes.map((f) => [SnapshotType[f.snapshotType], Number(f.count)]),
      await facetTruth(ctx, where, "s.snapshot_type"),
    );
  });
}

test("prefix matching and highlights: 'chai' finds words starting with it (Chair, not Armchair); matches in <em>, text escaped", async (ctx) => {
  const page = await ctx.search.searchSnapshots({ storeId: STORE, q: "chai", pageSize: 100 });
  assert.ok(page.results.length > 0);
  for (const r of page.results) {
    const s = r.snapshot!;
    const fields = Object.keys(r.highlights);
    assert.ok(fields.length > 0, "every hit says where it matched");
    for (const [field, h] of Object.entries(r.highlights)) {
      for (const f of h.fragments) {
        assert.match(f, /<em>chai\w*<\/em>/i, `${field}: ${f}`);
        const plain = f.replace(/<\/?em>/g, "").replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">");
        if (field === "commit_message") assert.ok(s.metadata!.commitMessage.includes(plain.trim()), `${plain} is an excerpt`);
        if (field === "resource_id") assert.is(plain, s.resourceId);
      }
    }
  }
  const armchairs = await ctx.sql`select count(*)::int as n from snapshots where store_id = ${STORE} and commit_message ~* 'armchair' and commit_message !~* '(^|[^[:alnum:]])chai' and resource_id !~* '(^|[^[:alnum:]])chai'`;
  assert.ok(armchairs[0].n > 0, "the corpus has Armchairs that 'chai' must not find");
  const escaped = await ctx.search.searchSnapshots({ storeId: STORE, q: "mahogany" });
  const msg = escaped.results.find((r) => r.snapshot!.snapshotId === ctx.special.message)!;
  assert.equal(msg.highlights.commit_message.fragments.length, 1);
  const frag = msg.highlights.commit_message.fragments[0];
  assert.match(frag, /<em>Mahogany<\/em> &amp; oak/);
  assert.not.match(frag, /<script/i);
  assert.equal(Object.keys(escaped.results.find((r) => r.snapshot!.snapshotId === ctx.special.annotation)!.highlights), ["annotations"]);
});

test("ranking follows field weights: tags and resource id, then message, then annotations, then creator", async (ctx) => {
  const r = await ctx.search.searchSnapshots({ storeId: STORE, q: "mahogany" });
  assert.equal(r.results.map((x) => x.snapshot!.snapshotId), [ctx.special.tag, ctx.special.message, ctx.special.annotation, ctx.special.creator]);
  assert.ok(r.results.every((x) => x.score > 0 && x.score < 1));
  assert.equal(r.facets!.createdBy.map((f) => f.value).sort(), ["local-admin", "mahogany-bot"]);
});

test("filters combine with the text query and match SQL truth", async (ctx) => {
  const since = new Date(Date.now() - 60 * 86_400_000);
  const filters = { tags: ["sale"], resourceType: "product", snapshotType: SnapshotType.JSON, createdBy: "pim-sync", since: timestampFromDate(since), labelsMatch: { channel: "web" } };
  const { results, pages } = await allPages(ctx, "oak", filters, 50);
  const where = ctx.sql`${truthWhere(ctx, ["oak"])} and 'sale' = any(s.tags) and s.resource_type = 'product' and s.snapshot_type = 'JSON'
    and s.created_by = 'pim-sync' and s.create_time >= ${since.toISOString()}::timestamptz and s.labels @> '{"channel":"web"}'`;
  const truth = (await ctx.sql`select s.id from snapshots s where ${where}`).map((r) => r.id as string);
  assert.ok(truth.length >= 3, `the filters leave a few matches (${truth.length})`);
  assert.equal(new Set(results.map((r) => r.snapshot!.snapshotId)), new Set(truth));
  assert.is(Number(pages[0].totalSize), truth.length);
  const noText = await ctx.search.searchSnapshots({ storeId: STORE, filters: { resourceType: "search_index" }, pageSize: 10 });
  const [{ n }] = await ctx.sql`select count(*)::int as n from snapshots where store_id = ${STORE} and state = 'ACTIVE' and resource_type = 'search_index'`;
  assert.is(Number(noText.totalSize), n);
  assert.ok(noText.results.every((r) => r.score === 0 && Object.keys(r.highlights).length === 0));
  const times = noText.results.map((r) => r.snapshot!.createTime!.seconds);
  assert.equal(times, [...times].sort((a, b) => Number(b - a)), "without words: newest first");
});

test("deleted snapshots never appear", async (ctx) => {
  const first = await ctx.search.searchSnapshots({ storeId: STORE, q: "rotterdam", pageSize: 20 });
  const gone = first.results.slice(0, 5).map((r) => r.snapshot!.snapshotId);
  const snaps = createClient(SnapshotService, ctx.h.transport);
  for (const id of gone.slice(0, 4)) await snaps.deleteSnapshot({ storeId: STORE, snapshotId: id });
  await snaps.deleteSnapshot({ storeId: STORE, snapshotId: gone[4], force: true });
  const { results, pages } = await allPages(ctx, "rotterdam");
  assert.ok(results.every((r) => !gone.includes(r.snapshot!.snapshotId)));
  assert.is(Number(pages[0].totalSize), Number(first.totalSize) - 5);
  const sample = await ctx.search.sampleSnapshots({ storeId: STORE, limit: 100 });
  assert.ok(sample.snapshots.every((s) => !gone.includes(s.snapshotId)));
});

test("user input never becomes tsquery syntax; bounds are enforced", async (ctx) => {
  const hostile = await ctx.search.searchSnapshots({ storeId: STORE, q: "chai:* | !oak & (') \\ <-> walnut" });
  const plain = await ctx.search.searchSnapshots({ storeId: STORE, q: "chai oak walnut" });
  assert.is(hostile.totalSize, plain.totalSize, "operators are separators");
  assert.is((await expectError(ctx.search.searchSnapshots({ storeId: STORE, q: "a b c d e f g h i" }))).code, Code.InvalidArgument);
  assert.is((await expectError(ctx.search.searchSnapshots({ storeId: STORE, q: "x".repeat(257) }))).code, Code.InvalidArgument);
  assert.is((await expectError(ctx.search.searchSnapshots({ storeId: STORE, q: "oak", pageToken: "bogus" }))).code, Code.InvalidArgument);
  const page1 = await ctx.search.searchSnapshots({ storeId: STORE, q: "oak", pageSize: 5 });
  assert.is((await expectError(ctx.search.searchSnapshots({ storeId: STORE, q: "teak", pageToken: page1.nextPageToken }))).code, Code.InvalidArgument);
  const clamped = await ctx.search.searchSnapshots({ storeId: STORE, q: "oak", pageSize: 5000 });
  assert.is(clamped.results.length, 100);
  assert.is((await ctx.search.searchSnapshots({ storeId: "elsewhere", q: "oak" })).totalSize, 0n, "another store sees nothing");
});

test("SampleSnapshots: recent-biased, one per resource, resource types interleaved", async (ctx) => {
  const { snapshots } = await ctx.search.sampleSnapshots({ storeId: STORE, limit: 24 });
  assert.is(snapshots.length, 24);
  const types = [...new Set((await ctx.sql`select distinct resource_type from snapshots where store_id = ${STORE} and state = 'ACTIVE'`).map((r) => r.resource_type as string))];
  assert.equal(new Set(snapshots.slice(0, types.length).map((s) => s.resourceType)), new Set(types), "the first of each type come first");
  const resources = snapshots.map((s) => `${s.resourceType}/${s.resourceId || s.snapshotId}`);
  assert.is(new Set(resources).size, resources.length, "one snapshot per resource");
  for (const s of snapshots.filter((x) => x.resourceId)) {
    const [{ n }] = await ctx.sql`select count(*)::int as n from snapshots where store_id = ${STORE} and state = 'ACTIVE'
      and resource_type = ${s.resourceType} and resource_id = ${s.resourceId} and (create_time, id) > (${new Date(Number(s.createTime!.seconds) * 1000 + s.createTime!.nanos / 1e6).toISOString()}::timestamptz, ${s.snapshotId}::uuid)`;
    assert.is(n, 0, "each is its resource's newest");
  }
  const filtered = await ctx.search.sampleSnapshots({ storeId: STORE, limit: 5, filters: { resourceType: "category", tags: ["eu"] } });
  assert.ok(filtered.snapshots.length > 0 && filtered.snapshots.every((s) => s.resourceType === "category" && s.tags.includes("eu")));
  assert.is((await ctx.search.sampleSnapshots({ storeId: STORE })).snapshots.length, 20, "default size");
});

test.run();

export type { SearchFilters };
