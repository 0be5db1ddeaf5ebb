import { create } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import postgres from "postgres";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { EXACT_COUNT_LIMIT } from "../src/storage/db/match-count.js";
import { createMemoryHarness, type MemoryHarness } from "./support/memory-client.js";

const test = suite<{ h: MemoryHarness; sql: postgres.Sql; templateId: string }>(
  "ListSnapshots total_size: exact up to the limit, an estimate beyond it",
);

test.before(async (ctx) => {
  ctx.h = await createMemoryHarness();
  ctx.sql = postgres(ctx.h.databaseUrl, { max: 1, onnotice: () => {} });
  const json = (n: number) => ({ case: "json" as const, value: create(ValueSchema, { kind: { case: "numberValue", value: n } }) });
  const first = await ctx.h.snapshots.createSnapshot({ storeId: "big", resourceType: "product", tags: ["few"], payload: json(1) });
  await ctx.h.snapshots.createSnapshot({ storeId: "big", resourceType: "product", tags: ["few"], payload: json(2) });
  await ctx.h.snapshots.createSnapshot({ storeId: "other", resourceType: "product", tags: ["bulk"], payload: json(3) });
  ctx.templateId = first.snapshot!.snapshotId;
});
test.after(async (ctx) => {
  await ctx.sql.end();
  await ctx.h.close();
});

/** Copies the template snapshot `n` times in its store with tag "bulk" and fresh ids and times. */
async function seed(ctx: { sql: postgres.Sql; templateId: string }, n: number) {
  await ctx.sql`
    insert into snapshots
    select (jsonb_populate_record(s, jsonb_build_object(
      'id', gen_random_uuid(), 'tags', array['bulk'], 'create_time', now() - make_interval(secs => g)))).*
    from snapshots s, generate_series(1, ${n}::int) g
    where s.id = ${ctx.templateId}`;
}

test("at the limit the count is exact; one more match makes it an estimate, and paging is unchanged", async (ctx) => {
  await seed(ctx, EXACT_COUNT_LIMIT);
  const atLimit = await ctx.h.snapshots.listSnapshots({ storeId: "big", tag: "bulk", pageSize: 50 });
  assert.is(atLimit.totalSize, EXACT_COUNT_LIMIT);
  assert.is(atLimit.totalSizeEstimated, false);

  await seed(ctx, 1);
  const over = await ctx.h.snapshots.listSnapshots({ storeId: "big", tag: "bulk", pageSize: 50 });
  assert.ok(over.totalSizeEstimated);
  assert.ok(over.totalSize > EXACT_COUNT_LIMIT, `an estimate is above the exact range, got ${over.totalSize}`);
  assert.is(over.snapshots.length, 50);
  assert.ok(over.nextPageToken);
  const next = await ctx.h.snapshots.listSnapshots({ storeId: "big", tag: "bulk", pageSize: 50, pageToken: over.nextPageToken });
  assert.is(next.snapshots.length, 50);
  const seen = new Set([...over.snapshots, ...next.snapshots].map((s) => s.snapshotId));
  assert.is(seen.size, 100, "two pages, no repeats");
});

test("after ANALYZE the estimate tracks the real number of matches", async (ctx) => {
  await ctx.sql`analyze snapshots`;
  const [{ n }] = await ctx.sql<{ n: number }[]>`select count(*)::int as n from snapshots where store_id = 'big' and state = 'ACTIVE'`;
  const all = await ctx.h.snapshots.listSnapshots({ storeId: "big" });
  assert.ok(all.totalSizeEstimated);
  assert.ok(Math.abs(all.totalSize - n) <= n * 0.2, `estimate ${all.totalSize} within 20% of ${n}`);
});

test("narrow filters, other stores and deleted snapshots keep exact counts", async (ctx) => {
  const few = await ctx.h.snapshots.listSnapshots({ storeId: "big", tag: "few" });
  assert.is(few.totalSize, 2);
  assert.is(few.totalSizeEstimated, false);
  const other = await ctx.h.snapshots.listSnapshots({ storeId: "other" });
  assert.is(other.totalSize, 1, "another store's thousand snapshots are not counted");
  assert.is(other.totalSizeEstimated, false);
  await ctx.h.snapshots.deleteSnapshot({ storeId: "big", snapshotId: ctx.templateId });
  const left = await ctx.h.snapshots.listSnapshots({ storeId: "big", tag: "few" });
  assert.is(left.totalSize, 1);
  const withDeleted = await ctx.h.snapshots.listSnapshots({ storeId: "big", tag: "few", showDeleted: true });
  assert.is(withDeleted.totalSize, 2);
});

test.run();

const ttl = suite<{ h: MemoryHarness; sql: postgres.Sql; templateId: string }>(
  "ListSnapshots total_size: an estimate is given again for VELLUM_LIST_ESTIMATE_TTL, then counted afresh",
);

ttl.before(async (ctx) => {
  ctx.h = await createMemoryHarness(undefined, { VELLUM_LIST_ESTIMATE_TTL: "2s" });
  ctx.sql = postgres(ctx.h.databaseUrl, { max: 1, onnotice: () => {} });
  const first = await ctx.h.snapshots.createSnapshot({ storeId: "ttl", resourceType: "product", payload: { case: "json", value: create(ValueSchema, { kind: { case: "numberValue", value: 0 } }) } });
  ctx.templateId = first.snapshot!.snapshotId;
});
ttl.after(async (ctx) => {
  await ctx.sql.end();
  await ctx.h.close();
});

ttl("deletions show in the total once the estimate is older than the TTL; exact totals are never kept", async (ctx) => {
  await seed(ctx, EXACT_COUNT_LIMIT + 100);
  const over = await ctx.h.snapshots.listSnapshots({ storeId: "ttl", tag: "bulk", pageSize: 50 });
  assert.ok(over.totalSizeEstimated);
  const estimate = over.totalSize;
  const made = Date.now();
  await ctx.sql`delete from snapshots where id in (select id from snapshots where store_id = 'ttl' and tags @> '{bulk}' limit ${EXACT_COUNT_LIMIT - 20})`;
  const again = await ctx.h.snapshots.listSnapshots({ storeId: "ttl", tag: "bulk", pageSize: 50 });
  const paged = await ctx.h.snapshots.listSnapshots({ storeId: "ttl", tag: "bulk", pageSize: 50, pageToken: again.nextPageToken });
  assert.ok(Date.now() - made < 2000, "the checks ran within the TTL");
  assert.equal([again.totalSize, again.totalSizeEstimated, paged.totalSize, paged.totalSizeEstimated], [estimate, true, estimate, true], "the estimate is given again, by later pages too");
  const all = await ctx.h.snapshots.listSnapshots({ storeId: "ttl", pageSize: 50 });
  assert.equal([all.totalSize, all.totalSizeEstimated], [121, false], "another filter counts on its own, exactly");

  await new Promise((r) => setTimeout(r, 2000 - (Date.now() - made) + 50));
  const fresh = await ctx.h.snapshots.listSnapshots({ storeId: "ttl", tag: "bulk", pageSize: 50 });
  assert.equal([fresh.totalSize, fresh.totalSizeEstimated], [120, false]);
  await ctx.sql`delete from snapshots where id in (select id from snapshots where store_id = 'ttl' and tags @> '{bulk}' limit 10)`;
  const exact = await ctx.h.snapshots.listSnapshots({ storeId: "ttl", tag: "bulk", pageSize: 50 });
  assert.equal([exact.totalSize, exact.totalSizeEstimated], [110, false], "an exact total is counted on every call");

  await seed(ctx, EXACT_COUNT_LIMIT);
  const big = await ctx.h.snapshots.listSnapshots({ storeId: "ttl", tag: "bulk", pageSize: 50 });
  assert.ok(big.totalSizeEstimated, "an estimate stands again");
  await ctx.sql`delete from snapshots where id in (select id from snapshots where store_id = 'ttl' and tags @> '{bulk}' limit ${EXACT_COUNT_LIMIT + 80})`;
  const few = await ctx.h.snapshots.listSnapshots({ storeId: "ttl", tag: "bulk", pageSize: 50 });
  assert.equal([few.totalSize, few.totalSizeEstimated, few.snapshots.length], [30, false, 30], "a page that holds every match counts its rows, estimate or not");
});

ttl.run();
