/**
 * The SDK's typed wrappers of CatalogService, SearchService and LineageService against the real
 * server: tags and annotations with their pagers, hasSnapshots by resource_version, the search
 * pager with its summary (first page fetched once), samples, and lineage graphs with lookups.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  addAnnotation,
  addTags,
  createVellumClient,
  getLineage,
  hasSnapshots,
  jsonPayload,
  LineageDirection,
  LineageEdgeKind,
  lineageKey,
  listAnnotations,
  listTags,
  registerConsumer,
  removeTag,
  sampleSnapshots,
  searchSnapshots,
  type VellumClient,
} from "../src/index.js";
import { NODE_TRANSPORTS, startSdkServer, type SdkServer } from "./support/sdk-server.js";

interface Ctx {
  srv: SdkServer;
  client: VellumClient;
  /** RPC names sent so far, in order. */
  calls: string[];
  ids: string[];
}
const STORE = "cat";
const test = suite<Ctx>("sdk: catalog, search and lineage wrappers (real server)", {} as Ctx);

test.before(async (ctx) => {
  ctx.srv = await startSdkServer();
  ctx.calls = [];
  ctx.client = createVellumClient(
    NODE_TRANSPORTS[0].make(ctx.srv.baseUrl, [
      (next) => async (req) => {
        ctx.calls.push(req.method.name);
        return next(req);
      },
    ]),
  );
  ctx.ids = [];
  for (let i = 0; i < 5; i++) {
    const { snapshot } = await ctx.client.snapshots.createSnapshot({
      storeId: STORE,
      resourceType: i < 3 ? "product" : "page",
      resourceId: `item-${i}`,
      resourceVersion: `rv-${i}`,
      payload: jsonPayload({ n: i }),
      metadata: { commitMessage: `walnut chair restock ${i}` },
    });
    ctx.ids.push(snapshot!.snapshotId);
  }
});
test.after(async (ctx) => {
  await ctx.srv?.close();
});

test("addTags, removeTag, listTags across pages with live counts", async ({ client, ids }) => {
  const tagged = await addTags(client, { storeId: STORE, snapshotId: ids[0], tags: ["sale", "summer"] });
  assert.equal(tagged.tags, ["sale", "summer"]);
  for (const id of ids.slice(1, 4)) await addTags(client, { storeId: STORE, snapshotId: id, tags: ["sale"] });
  await addTags(client, { storeId: STORE, snapshotId: ids[4], tags: ["winter", "summer"] });
  const untagged = await removeTag(client, { storeId: STORE, snapshotId: ids[0], tag: "summer", etag: tagged.etag });
  assert.equal(untagged.tags, ["sale"]);
  const all = [];
  for await (const t of listTags(client, { storeId: STORE, pageSize: 1 })) all.push([t.tag, Number(t.count)]);
  assert.equal(all, [["sale", 4], ["summer", 1], ["winter", 1]]);
  const pages = [];
  for await (const p of listTags(client, { storeId: STORE, pageSize: 2 }).pages()) pages.push(p.tags.length);
  assert.equal(pages, [2, 1]);
});

test("addAnnotation and listAnnotations newest first; hasSnapshots by resource_version", async ({ client, ids }) => {
  for (const m of ["first look", "approved", "shipped"]) await addAnnotation(client, { storeId: STORE, snapshotId: ids[1], message: m, authorId: "qa" });
  const notes = [];
  for await (const a of listAnnotations(client, { storeId: STORE, snapshotId: ids[1], pageSize: 2 })) notes.push([a.message, a.authorId]);
  assert.equal(notes, [["shipped", "qa"], ["approved", "qa"], ["first look", "qa"]]);
  assert.is(await hasSnapshots(client, { storeId: STORE, resourceType: "product", resourceId: "item-2", resourceVersion: "rv-2" }), ids[2]);
  assert.is(await hasSnapshots(client, { storeId: STORE, resourceType: "product", resourceId: "item-2", resourceVersion: "rv-9" }), undefined);
  assert.is(await hasSnapshots(client, { storeId: STORE, resourceType: "product", resourceId: "item-2" }), ids[2]);
});

test("searchSnapshots: results across pages, summary from the first page fetched once, facets over the whole result", async (ctx) => {
  const { client } = ctx;
  const search = searchSnapshots(client, { storeId: STORE, q: "walnut chai", pageSize: 2 });
  ctx.calls.length = 0;
  const summary = await search.summary();
  assert.is(summary.totalSize, 5n);
  assert.equal(summary.facets!.resourceTypes.map((f) => [f.value, Number(f.count)]), [["product", 3], ["page", 2]]);
  const hits = [];
  for await (const hit of search) hits.push(hit);
  assert.is(hits.length, 5);
  assert.equal(new Set(hits.map((h) => h.snapshot!.snapshotId)), new Set(ctx.ids));
  assert.ok(hits.every((h) => h.score > 0 && h.highlights.commit_message.fragments[0].includes("<em>walnut</em>")));
  assert.equal(ctx.calls, ["SearchSnapshots", "SearchSnapshots", "SearchSnapshots"], "summary and the first page share one call");
  const filtered = searchSnapshots(client, { storeId: STORE, q: "restock", filters: { resourceType: "page", tags: ["summer"] } });
  assert.is((await filtered.summary()).totalSize, 1n);
  const sample = await sampleSnapshots(client, { storeId: STORE, limit: 3 });
  assert.is(sample.length, 3);
  assert.equal(new Set(sample.map((s) => s.resourceType)), new Set(["product", "page"]), "varied across types");
});

test("registerConsumer and getLineage: an indexed graph with parents and children", async ({ client, ids }) => {
  const first = await registerConsumer(client, { storeId: STORE, snapshotId: ids[0], consumer: "cdn:eu", note: "published" });
  assert.not.ok(first.alreadyRegistered);
  assert.ok((await registerConsumer(client, { storeId: STORE, snapshotId: ids[0], consumer: "cdn:eu" })).alreadyRegistered);
  await registerConsumer(client, { storeId: STORE, resourceType: "product", resourceId: "item-0", consumer: "search:products" });
  const g = await getLineage(client, { storeId: STORE, resourceType: "product", resourceId: "item-0", direction: LineageDirection.DOWNSTREAM });
  assert.not.ok(g.truncated);
  assert.equal(g.roots.map((n) => lineageKey(n.ref)).sort(), [`SNAPSHOT:${ids[0]}`, "VERSION:product/item-0@1"].sort());
  const children = g.children(`SNAPSHOT:${ids[0]}`);
  assert.equal(
    children.map((c) => [LineageEdgeKind[c.edge.kind], lineageKey(c.node.ref)]).sort(),
    [["CONSUMED_BY", "CONSUMER:cdn:eu"], ["CONSUMED_BY", "CONSUMER:search:products"], ["VERSION_OF", "VERSION:product/item-0@1"]],
  );
  assert.equal(g.parents("CONSUMER:cdn:eu").map((p) => p.node.snapshot!.snapshotId), [ids[0]]);
  assert.is(g.node({ kind: g.roots[0].ref!.kind, id: g.roots[0].ref!.id }), g.roots[0]);
});

test.run();
