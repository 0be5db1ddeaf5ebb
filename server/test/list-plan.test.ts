import { create } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { SnapshotCursor } from "../src/domain/ports.js";
import type { SnapshotFilter } from "../src/domain/snapshots/types.js";
import { listPageQuery } from "../src/storage/db/snapshot-repo.js";
import { createMemoryHarness, type MemoryHarness } from "./support/memory-client.js";

/**
 * A ListSnapshots page reads about a page of rows, whatever the store's size and the page's depth:
 * PostgreSQL's own plan (EXPLAIN ANALYZE) of the repository's page query, on a store of 30,000
 * snapshots, walks snapshots_store_time_idx in order, with no sort, and the cursor of a deep page
 * is the index scan's bound, not a filter over the rows before it.
 */
const test = suite<{ h: MemoryHarness; sql: postgres.Sql }>("ListSnapshots pages through the time index (30,000 snapshots)");
const STORE = "plan";
const ROWS = 30_000;

interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  "Index Cond"?: string;
  "Actual Rows"?: number;
  "Rows Removed by Filter"?: number;
  Plans?: PlanNode[];
}

const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

test.before(async (ctx) => {
  ctx.h = await createMemoryHarness();
  ctx.sql = postgres(ctx.h.databaseUrl, { max: 1, onnotice: () => {} });
  const json = { case: "json" as const, value: create(ValueSchema, { kind: { case: "numberValue", value: 1 } }) };
  const first = (await ctx.h.snapshots.createSnapshot({ storeId: STORE, resourceType: "product", payload: json })).snapshot!;
  // Copies with the spread of the metadata bench: 1 in 4 a category, 1 in 10 labelled prod.
  await ctx.sql`
    insert into snapshots
    select (jsonb_populate_record(s, jsonb_build_object(
      'id', gen_random_uuid(),
      'resource_type', case when g % 4 = 0 then 'category' else 'product' end,
      'labels', jsonb_build_object('env', case when g % 10 = 0 then 'prod' else 'dev' end),
      'create_time', now() - make_interval(secs => g)))).*
    from snapshots s, generate_series(1, ${ROWS}::int) g
    where s.id = ${first.snapshotId}`;
  await ctx.sql`analyze snapshots`;
});
test.after(async (ctx) => {
  await ctx.sql.end();
  await ctx.h.close();
});

async function plan(h: MemoryHarness, filter: Partial<SnapshotFilter>, after?: SnapshotCursor): Promise<PlanNode[]> {
  const q = listPageQuery(h.services.database.db, { storeId: STORE, showDeleted: false, ...filter }, 50, after);
  const [row] = await h.services.database.db.execute<{ "QUERY PLAN": [{ Plan: PlanNode }] }>(sql`explain (analyze, format json) ${q}`);
  return nodes(row["QUERY PLAN"][0].Plan);
}

const FILTERS: [string, Partial<SnapshotFilter>][] = [
  ["no filter", {}],
  ["resource_type", { resourceType: "category" }],
  ["labels_match", { labelsMatch: { env: "prod" } }],
  ["since", { since: new Date(Date.now() - 86_400_000) }],
];

test("the first page of each filter walks the time index in order and reads about a page", async ({ h }) => {
  for (const [name, filter] of FILTERS) {
    const all = await plan(h, filter);
    assert.ok(!all.some((n) => n["Node Type"].includes("Sort")), `${name}: no sort (${all.map((n) => n["Node Type"]).join(" > ")})`);
    const scan = all.find((n) => n["Index Name"] === "snapshots_store_time_idx");
    assert.ok(scan, `${name}: scans snapshots_store_time_idx (${all.map((n) => `${n["Node Type"]} ${n["Index Name"] ?? ""}`).join(" > ")})`);
    const read = (scan["Actual Rows"] ?? 0) + (scan["Rows Removed by Filter"] ?? 0);
    assert.ok(read <= 1_000, `${name}: read ${read} rows for a page of 50 out of ${ROWS}`);
  }
});

test("a deep page bounds the index scan with its cursor instead of filtering every earlier row", async ({ h, sql: db }) => {
  const [deep] = await db<{ create_time: Date; id: string }[]>`
    select create_time, id from snapshots where store_id = ${STORE} order by create_time desc, id desc offset 25000 limit 1`;
  const after = { createTime: deep.create_time, id: deep.id };
  for (const [name, filter] of FILTERS.slice(0, 3)) {
    const all = await plan(h, filter, after);
    assert.ok(!all.some((n) => n["Node Type"].includes("Sort")), `${name}: no sort`);
    const scan = all.find((n) => n["Index Name"] === "snapshots_store_time_idx");
    if (!scan) throw new Error(`${name}: does not scan snapshots_store_time_idx`);
    assert.ok(scan["Index Cond"]?.includes("ROW("), `${name}: the cursor is an index condition (${scan["Index Cond"]})`);
    const read = (scan["Actual Rows"] ?? 0) + (scan["Rows Removed by Filter"] ?? 0);
    assert.ok(read <= 1_000, `${name}: read ${read} rows for a page 25,000 rows deep`);
  }
  // And the API pages from there like from the top: newest first, no repeats.
  const page = await h.snapshots.listSnapshots({ storeId: STORE, pageSize: 50 });
  const next = await h.snapshots.listSnapshots({ storeId: STORE, pageSize: 50, pageToken: page.nextPageToken });
  const times = [...page.snapshots, ...next.snapshots].map((s) => Number(s.createTime!.seconds) * 1e3 + s.createTime!.nanos / 1e6);
  assert.ok(times.every((t, i) => i === 0 || t <= times[i - 1]), "newest first across the page boundary");
  assert.is(new Set([...page.snapshots, ...next.snapshots].map((s) => s.snapshotId)).size, 100);
});

test.run();
