/**
 * LineageService over the full router and a real Postgres. Compose, restore and import are built
 * elsewhere: their edges are seeded through the lineage recorder exactly as those jobs record them
 * (in a transaction, with their job ids), over real snapshots and versions; consumers come from
 * real RegisterConsumer calls. GetLineage must return the expected graph in each direction and
 * depth, keep deleted and purged snapshots as marked nodes, and stay within its store.
 */
import { randomUUID } from "node:crypto";
import { fromJson, toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { AuditService } from "../../gen/vellum/v1/audit_service_pb.js";
import { LineageDirection, LineageEdgeKind, LineageNodeKind, type LineageEdge, type LineageNode } from "../../gen/vellum/v1/lineage_pb.js";
import { LineageService, type GetLineageResponse } from "../../gen/vellum/v1/lineage_service_pb.js";
import { JobType } from "../../gen/vellum/v1/job_pb.js";
import type { LineageEdge as RecordedEdge } from "../src/domain/lineage/types.js";
import { expectError } from "./support/expect-error.js";
import { createMemoryHarness, type MemoryHarness } from "./support/memory-client.js";

const STORE = "ln";
const PIM = "pim/product/sku-1";
const SOURCE = "https://example.com/dumps/sku-9.json";

interface Ctx {
  h: MemoryHarness;
  lineage: Client<typeof LineageService>;
  audit: Client<typeof AuditService>;
  /** Snapshot ids by name. */
  s: Record<string, string>;
  /** Job ids: compose (a real job of the store), restore and import (jobs that no longer exist). */
  jobs: { compose: string; restore: string; import: string };
}
const test = suite<Ctx>("lineage: GetLineage and RegisterConsumer (in-memory transport, real Postgres)");

const json = (h: MemoryHarness, resourceType: string, resourceId: string, value: unknown, storeId = STORE) =>
  h.snapshots
    .createSnapshot({ storeId, resourceType, resourceId, payload: { case: "json", value: fromJson(ValueSchema, value as never) } })
    .then((r) => r.snapshot!.snapshotId);

const snap = (id: string) => ({ kind: "SNAPSHOT" as const, id });
/** Records edges in a transaction of their own, as a job does when its change lands. */
const record = (h: MemoryHarness, edges: Omit<RecordedEdge, "storeId">[], storeId = STORE) =>
  h.services.database.db.transaction((tx) => h.services.lineage.record(edges.map((e) => ({ storeId, ...e })), tx));

/** "KIND:id" of a node or edge end, with VERSION ids as is. */
const refName = (r: { kind: LineageNodeKind; id: string } | undefined) => `${LineageNodeKind[r!.kind]}:${r!.id}`;
/** Nodes as sorted "KIND:id @distance" lines (sorted arrays diff readably). */
const nodeSet = (g: GetLineageResponse) => g.nodes.map((n) => `${refName(n.ref)} @${n.distance}`).sort();
const names = (g: GetLineageResponse) => new Set(g.nodes.map((n) => refName(n.ref)));
const edgeSet = (g: GetLineageResponse) => g.edges.map((e: LineageEdge) => `${refName(e.from)} -${LineageEdgeKind[e.kind]}-> ${refName(e.to)}`).sort();
const at = (pairs: [string, number][]) => pairs.map(([n, d]) => `${n} @${d}`).sort();
const nodeOf = (g: GetLineageResponse, name: string) => g.nodes.find((n: LineageNode) => refName(n.ref) === name)!;

test.before(async (ctx) => {
  ctx.h = await createMemoryHarness();
  ctx.lineage = createClient(LineageService, ctx.h.transport);
  ctx.audit = createClient(AuditService, ctx.h.transport);
  const { h } = ctx;
  const s: Record<string, string> = {};
  s.sku1 = await json(h, "product", "sku-1", { name: "Chair", price: 49 });
  s.sku2 = await json(h, "product", "sku-1", { name: "Chair", price: 59 });
  s.hero = await json(h, "asset", "hero", { src: "hero.png" });
  s.legal = await json(h, "doc", "legal", { text: "terms" });
  s.bundle = await json(h, "bundle", "home", { product: "sku-1", hero: "hero.png", terms: "terms" });
  const composeJob = (await h.snapshots.verifySnapshot({ storeId: STORE, snapshotId: s.hero })).job!.jobId;
  ctx.jobs = { compose: composeJob, restore: randomUUID(), import: randomUUID() };

  // Compose (h18c): one COMPOSED_FROM edge per parent with its position, and the job that produced it.
  await record(h, [
    ...[s.sku2, s.hero, s.legal].map((p, ordinal) => ({ kind: "COMPOSED_FROM" as const, from: snap(p), to: snap(s.bundle), ordinal, jobId: composeJob })),
    { kind: "PRODUCED_BY", from: { kind: "JOB", id: composeJob }, to: snap(s.bundle), jobId: composeJob },
  ]);
  // Restore of version 1 into the PIM (h18b), capturing the state it replaced first (version 3)...
  s.capture = await json(h, "product", "sku-1", { name: "Chair", price: 59, live: true });
  await record(h, [
    { kind: "CAPTURED_FROM", from: { kind: "RESOURCE", id: PIM }, to: snap(s.capture), jobId: ctx.jobs.restore },
    { kind: "PRODUCED_BY", from: { kind: "JOB", id: ctx.jobs.restore }, to: snap(s.capture), jobId: ctx.jobs.restore },
    { kind: "RESTORED_FROM", from: snap(s.sku1), to: { kind: "RESOURCE", id: PIM }, jobId: ctx.jobs.restore, note: "pim" },
  ]);
  // ...then a rollback to the capture: the resource and the capture now form a cycle.
  await record(h, [{ kind: "RESTORED_FROM", from: snap(s.capture), to: { kind: "RESOURCE", id: PIM }, note: "pim rollback" }]);
  // Import (h18c) from a URL.
  s.imported = await json(h, "product", "sku-9", { name: "Lamp" });
  await record(h, [
    { kind: "IMPORTED_FROM", from: { kind: "EXTERNAL", id: SOURCE }, to: snap(s.imported), jobId: ctx.jobs.import },
    { kind: "PRODUCED_BY", from: { kind: "JOB", id: ctx.jobs.import }, to: snap(s.imported), jobId: ctx.jobs.import },
  ]);
  // Consumers, through the API: by snapshot and by resource (its newest live snapshot).
  await ctx.lineage.registerConsumer({ storeId: STORE, snapshotId: s.bundle, consumer: "cdn:storefront-eu", note: "published" });
  const byResource = await ctx.lineage.registerConsumer({ storeId: STORE, resourceType: "bundle", resourceId: "home", consumer: "search-index:products" });
  assert.is(byResource.snapshotId, s.bundle);
  // A soft-deleted parent and a purged one.
  await h.snapshots.deleteSnapshot({ storeId: STORE, snapshotId: s.hero });
  await h.snapshots.deleteSnapshot({ storeId: STORE, snapshotId: s.legal, force: true });
  ctx.s = s;
});
test.after(async (ctx) => {
  await ctx.h.close();
});

test("UPSTREAM from the composed snapshot: its parents in order (deleted and purged marked) and the job that produced it", async ({ lineage, s, jobs }) => {
  const g = await lineage.getLineage({ storeId: STORE, snapshotId: s.bundle, direction: LineageDirection.UPSTREAM, depth: 1 });
  assert.equal(nodeSet(g), at([[`SNAPSHOT:${s.bundle}`, 0], [`SNAPSHOT:${s.sku2}`, 1], [`SNAPSHOT:${s.hero}`, 1], [`SNAPSHOT:${s.legal}`, 1], [`JOB:${jobs.compose}`, 1]]));
  const parents = g.edges.filter((e) => e.kind === LineageEdgeKind.COMPOSED_FROM).sort((a, b) => a.ordinal - b.ordinal);
  assert.equal(parents.map((e) => [e.from!.id, e.ordinal, e.jobId]), [[s.sku2, 0, jobs.compose], [s.hero, 1, jobs.compose], [s.legal, 2, jobs.compose]]);
  assert.ok(nodeOf(g, `SNAPSHOT:${s.bundle}`).root);
  assert.is(nodeOf(g, `SNAPSHOT:${s.sku2}`).snapshot!.version, 2n, "snapshot nodes carry the snapshot");
  const hero = nodeOf(g, `SNAPSHOT:${s.hero}`);
  assert.equal([hero.deleted, hero.purged, hero.snapshot?.snapshotId], [true, false, s.hero]);
  const legal = nodeOf(g, `SNAPSHOT:${s.legal}`);
  assert.equal([legal.deleted, legal.purged, legal.snapshot], [true, true, undefined]);
  assert.is(nodeOf(g, `JOB:${jobs.compose}`).job!.type, JobType.VERIFY_SNAPSHOT, "job nodes carry the job");
});

test("DOWNSTREAM from the composed snapshot: its version and its two consumers, with their notes", async ({ lineage, s }) => {
  const g = await lineage.getLineage({ storeId: STORE, snapshotId: s.bundle, direction: LineageDirection.DOWNSTREAM });
  assert.equal(
    edgeSet(g),
    [
      `SNAPSHOT:${s.bundle} -VERSION_OF-> VERSION:bundle/home@1`,
      `SNAPSHOT:${s.bundle} -CONSUMED_BY-> CONSUMER:cdn:storefront-eu`,
      `SNAPSHOT:${s.bundle} -CONSUMED_BY-> CONSUMER:search-index:products`,
    ].sort(),
  );
  assert.is(nodeOf(g, "VERSION:bundle/home@1").version!.snapshotId, s.bundle);
  assert.is(g.edges.find((e) => e.to!.id === "cdn:storefront-eu")!.note, "published");
  assert.not.ok(g.truncated);
});

test("BOTH from a resource: its snapshots and versions are the roots; restores, the capture cycle, the composition and its consumers, not its other parents", async ({ lineage, s, jobs }) => {
  const g = await lineage.getLineage({ storeId: STORE, resourceType: "product", resourceId: "sku-1", depth: 2 });
  assert.equal(
    nodeSet(g),
    at([
      [`SNAPSHOT:${s.sku1}`, 0],
      [`SNAPSHOT:${s.sku2}`, 0],
      [`SNAPSHOT:${s.capture}`, 0],
      ["VERSION:product/sku-1@1", 0],
      ["VERSION:product/sku-1@2", 0],
      ["VERSION:product/sku-1@3", 0],
      [`RESOURCE:${PIM}`, 1],
      [`JOB:${jobs.restore}`, 1],
      [`SNAPSHOT:${s.bundle}`, 1],
      ["VERSION:bundle/home@1", 2],
      ["CONSUMER:cdn:storefront-eu", 2],
      ["CONSUMER:search-index:products", 2],
    ]),
  );
  assert.equal(
    edgeSet(g),
    [
      `SNAPSHOT:${s.sku1} -VERSION_OF-> VERSION:product/sku-1@1`,
      `SNAPSHOT:${s.sku2} -VERSION_OF-> VERSION:product/sku-1@2`,
      `SNAPSHOT:${s.capture} -VERSION_OF-> VERSION:product/sku-1@3`,
      `SNAPSHOT:${s.sku1} -RESTORED_FROM-> RESOURCE:${PIM}`,
      `SNAPSHOT:${s.capture} -RESTORED_FROM-> RESOURCE:${PIM}`,
      `RESOURCE:${PIM} -CAPTURED_FROM-> SNAPSHOT:${s.capture}`,
      `JOB:${jobs.restore} -PRODUCED_BY-> SNAPSHOT:${s.capture}`,
      `SNAPSHOT:${s.sku2} -COMPOSED_FROM-> SNAPSHOT:${s.bundle}`,
      `SNAPSHOT:${s.bundle} -VERSION_OF-> VERSION:bundle/home@1`,
      `SNAPSHOT:${s.bundle} -CONSUMED_BY-> CONSUMER:cdn:storefront-eu`,
      `SNAPSHOT:${s.bundle} -CONSUMED_BY-> CONSUMER:search-index:products`,
    ].sort(),
  );
  assert.equal(g.nodes.filter((n) => n.root).length, 6);
  const restoreJob = nodeOf(g, `JOB:${jobs.restore}`);
  assert.equal([restoreJob.purged, restoreJob.job], [true, undefined], "a job the store no longer has is kept as a purged node");
  assert.is(g.edges.find((e) => e.kind === LineageEdgeKind.RESTORED_FROM && e.from!.id === s.sku1)!.note, "pim");
  assert.not.ok(g.truncated);
});

test("UPSTREAM and DOWNSTREAM stay one-way, depth 1 stops at the neighbours, max_nodes truncates", async ({ lineage, s, jobs }) => {
  const up = await lineage.getLineage({ storeId: STORE, resourceType: "product", resourceId: "sku-1", direction: LineageDirection.UPSTREAM, depth: 1 });
  assert.equal(nodeSet(up).filter((n) => !n.endsWith(" @0")), at([[`RESOURCE:${PIM}`, 1], [`JOB:${jobs.restore}`, 1]]), "upstream: what the capture came from");
  const down = await lineage.getLineage({ storeId: STORE, resourceType: "product", resourceId: "sku-1", direction: LineageDirection.DOWNSTREAM, depth: 1 });
  assert.equal(nodeSet(down).filter((n) => !n.endsWith(" @0")), at([[`RESOURCE:${PIM}`, 1], [`SNAPSHOT:${s.bundle}`, 1]]), "downstream: restores and the composition");

  const imported = await lineage.getLineage({ storeId: STORE, snapshotId: s.imported, direction: LineageDirection.UPSTREAM });
  assert.equal(edgeSet(imported), [`EXTERNAL:${SOURCE} -IMPORTED_FROM-> SNAPSHOT:${s.imported}`, `JOB:${jobs.import} -PRODUCED_BY-> SNAPSHOT:${s.imported}`].sort());

  const cut = await lineage.getLineage({ storeId: STORE, resourceType: "product", resourceId: "sku-1", maxNodes: 4 });
  assert.ok(cut.truncated);
  assert.is(cut.nodes.length, 4);
  assert.equal(cut.nodes.map((n) => n.root), [true, true, true, true], "roots come first, newest first");
  assert.is(refName(cut.nodes[0].ref), "VERSION:product/sku-1@3");
  for (const e of cut.edges) assert.ok(names(cut).has(refName(e.from)) && names(cut).has(refName(e.to)));
});

test("lineage stays in its store; unknown roots are NOT_FOUND; bad requests are INVALID_ARGUMENT", async ({ h, lineage, s }) => {
  // Another store records an edge naming this store's snapshot id: neither store sees the other's.
  await record(h, [{ kind: "CONSUMED_BY", from: snap(s.bundle), to: { kind: "CONSUMER", id: "foreign" } }], "ln-other");
  const g = await lineage.getLineage({ storeId: STORE, snapshotId: s.bundle, direction: LineageDirection.DOWNSTREAM });
  assert.not.ok(names(g).has("CONSUMER:foreign"));
  const other = await lineage.getLineage({ storeId: "ln-other", snapshotId: s.bundle });
  assert.equal([...names(other)], [`SNAPSHOT:${s.bundle}`, "CONSUMER:foreign"]);
  assert.equal([nodeOf(other, `SNAPSHOT:${s.bundle}`).purged, nodeOf(other, `SNAPSHOT:${s.bundle}`).snapshot], [true, undefined], "no details from another store");

  assert.is((await expectError(lineage.getLineage({ storeId: "ln-none", snapshotId: s.bundle }))).code, Code.NotFound);
  assert.is((await expectError(lineage.getLineage({ storeId: STORE, snapshotId: randomUUID() }))).code, Code.NotFound);
  assert.is((await expectError(lineage.getLineage({ storeId: STORE, resourceType: "product", resourceId: "nope" }))).code, Code.NotFound);
  const bad: Parameters<typeof lineage.getLineage>[0][] = [
    { storeId: STORE },
    { storeId: STORE, snapshotId: s.bundle, resourceType: "product", resourceId: "sku-1" },
    { storeId: STORE, snapshotId: "not-a-uuid" },
    { storeId: STORE, resourceType: "product" },
    { storeId: STORE, snapshotId: s.bundle, depth: -1 },
    { storeId: STORE, snapshotId: s.bundle, maxNodes: -5 },
    { storeId: STORE, snapshotId: s.bundle, direction: 42 as LineageDirection },
    { storeId: "bad store", snapshotId: s.bundle },
  ];
  for (const req of bad) {
    const err = await expectError(lineage.getLineage(req));
    assert.is(err.code, Code.InvalidArgument, JSON.stringify(req));
  }
  const deep = await lineage.getLineage({ storeId: STORE, snapshotId: s.bundle, depth: 1_000_000, maxNodes: 1_000_000 });
  assert.ok(deep.nodes.length > 1, "large bounds are clamped, not refused");
});

test("RegisterConsumer: audited once, idempotent per consumer (also under concurrency), refuses deleted and unknown targets", async ({ h, lineage, audit, s }) => {
  const target = await json(h, "product", "sku-42", { name: "Desk" });
  const results = await Promise.all(
    Array.from({ length: 12 }, (_, i) => lineage.registerConsumer({ storeId: STORE, snapshotId: target, consumer: "feed:google-shopping", note: `call ${i}` })),
  );
  assert.is(results.filter((r) => !r.alreadyRegistered).length, 1, "exactly one call records the edge");
  const first = results.find((r) => !r.alreadyRegistered)!;
  for (const r of results) assert.equal([r.edge!.note, r.snapshotId, r.edge!.kind], [first.edge!.note, target, LineageEdgeKind.CONSUMED_BY]);
  const [{ n }] = await h.services.database.sql`select count(*)::int as n from lineage_edges where from_id = ${target} and kind = 'CONSUMED_BY'`;
  assert.is(n, 1);
  const events = (await audit.getSnapshotAudit({ storeId: STORE, snapshotId: target })).events;
  assert.equal(events.map((e) => e.action), ["snapshot.create", "snapshot.consume"]);
  const after = toJson(ValueSchema, events[1].after!) as { consumer: string; note: string };
  assert.equal([after.consumer, after.note], ["feed:google-shopping", first.edge!.note]);
  assert.ok((await audit.verifyAuditChain({ storeId: STORE })).ok);

  const reg = (fields: Record<string, unknown>) => lineage.registerConsumer({ storeId: STORE, snapshotId: target, consumer: "x", ...fields });
  for (const bad of [{ consumer: "" }, { consumer: "a\u0001b" }, { consumer: "c".repeat(257) }, { note: "n".repeat(1025) }, { snapshotId: "nope" }, { resourceType: "product", resourceId: "sku-42" }]) {
    assert.is((await expectError(reg(bad))).code, Code.InvalidArgument, JSON.stringify(bad).slice(0, 60));
  }
  assert.is((await expectError(reg({ snapshotId: randomUUID() }))).code, Code.NotFound);
  assert.is((await expectError(reg({ storeId: "ln-other" }))).code, Code.NotFound, "another store's snapshot");
  assert.is((await expectError(reg({ snapshotId: "", resourceType: "product", resourceId: "never" }))).code, Code.NotFound);
  const deleted = await expectError(reg({ snapshotId: s.hero }));
  assert.equal([deleted.code, deleted.rawMessage.includes("deleted")], [Code.FailedPrecondition, true]);
});

test.run();
