import { randomBytes } from "node:crypto";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { sql } from "drizzle-orm";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { SnapshotType, type Snapshot } from "../../gen/vellum/v1/snapshot_pb.js";
import { SummaryGroupBy, type SnapshotSummaryGroup } from "../../gen/vellum/v1/snapshot_service_pb.js";
import type { UsageFigures } from "../../gen/vellum/v1/storage_pb.js";
import { Code } from "@connectrpc/connect";
import { expectError } from "./support/expect-error.js";
import { createMemoryHarness, type MemoryHarness } from "./support/memory-client.js";
import { retentionClients } from "./support/retention-fixtures.js";

/** GetStorageUsage and SummarizeSnapshots against figures computed from the snapshots themselves. */
const test = suite<{ h: MemoryHarness; c: ReturnType<typeof retentionClients>; s: Record<string, Snapshot> }>("storage usage and snapshot summaries");

const STORE = "usage";

test.before(async (ctx) => {
  ctx.h = await createMemoryHarness(undefined, { VELLUM_RECLAIM_INTERVAL_MS: "0", VELLUM_LIFECYCLE_INTERVAL_MS: "0" });
  ctx.c = retentionClients(ctx.h);
  const make = async (resourceType: string, snapshotType: SnapshotType, body: Uint8Array, tags: string[]) =>
    (await ctx.h.snapshots.createSnapshot({ storeId: STORE, resourceType, snapshotType, tags, payload: { case: "data", value: body } })).snapshot!;
  const doc = Buffer.from(JSON.stringify({ items: randomBytes(200_000).toString("base64") }));
  ctx.s = {
    json: await make("product", SnapshotType.JSON, doc, ["a", "b"]),
    copy: await make("product", SnapshotType.BLOB, doc, ["a"]),
    pinned: await make("report", SnapshotType.BLOB, randomBytes(50_000), []),
    deleted: await make("report", SnapshotType.BLOB, randomBytes(30_000), ["b"]),
  };
  await ctx.c.admin.pinSnapshot({ storeId: STORE, snapshotId: ctx.s.pinned.snapshotId, reason: "x" });
  await ctx.h.snapshots.deleteSnapshot({ storeId: STORE, snapshotId: ctx.s.deleted.snapshotId });
});
test.after(async (ctx) => ctx.h.close());

/** Expected figures of a set of ACTIVE snapshots plus soft-deleted ones. */
function figures(active: Snapshot[], deleted: Snapshot[], pinned: Snapshot[] = []) {
  const sum = (l: Snapshot[], f: (s: Snapshot) => bigint) => l.reduce((n, s) => n + f(s), 0n);
  const logical = sum(active, (s) => s.size);
  const stored = sum(active, (s) => s.storedSize);
  return {
    snapshotCount: BigInt(active.length),
    logicalBytes: logical,
    storedBytes: stored,
    dedupRatio: stored > 0n ? Number(logical) / Number(stored) : 0,
    pinnedBytes: sum(pinned, (s) => s.size),
    pendingReclaimBytes: sum(deleted, (s) => s.storedSize),
    deletedCount: BigInt(deleted.length),
  };
}
const plain = (f: UsageFigures | undefined) => {
  const { $typeName: _, ...rest } = f!;
  return rest;
};

test("usage: totals and breakdowns by snapshot type, tag and resource type", async ({ h, c, s }) => {
  assert.is(s.copy.storedSize, 0n, "the copy deduplicated entirely");
  const { usage } = await c.storage.getStorageUsage({ storeId: STORE });
  const u = usage!;
  assert.equal(plain(u.total), figures([s.json, s.copy, s.pinned], [s.deleted], [s.pinned]));
  const byKey = (l: typeof u.byTag) => Object.fromEntries(l.map((e) => [e.key, plain(e.usage)]));
  assert.equal(byKey(u.bySnapshotType), { JSON: figures([s.json], []), BLOB: figures([s.copy, s.pinned], [s.deleted], [s.pinned]) });
  assert.equal(byKey(u.byTag), { a: figures([s.json, s.copy], []), b: figures([s.json], [s.deleted]) });
  assert.equal(byKey(u.byResourceType), { product: figures([s.json, s.copy], []), report: figures([s.pinned], [s.deleted], [s.pinned]) });
  assert.equal(u.byResourceType.map((e) => e.key), ["product", "report"], "largest logical bytes first");
  assert.ok(u.total!.dedupRatio > 1.5, `dedup ratio ${u.total!.dedupRatio}`);
  const [phys] = await h.services.database.db.execute<{ c: string; p: string }>(
    sql`select (select sum(length) from chunks where store_id = ${STORE})::text as c, (select sum(size) from packs where store_id = ${STORE})::text as p`,
  );
  assert.equal({ chunks: u.indexedChunkBytes, packs: u.packBytes }, { chunks: BigInt(phys.c), packs: BigInt(phys.p) });
  assert.not.ok(u.truncated);
  const empty = (await c.storage.getStorageUsage({ storeId: "nothing-here" })).usage!;
  assert.equal({ count: empty.total!.snapshotCount, ratio: empty.total!.dedupRatio, tags: empty.byTag.length }, { count: 0n, ratio: 0, tags: 0 });
});

test("summaries: counts, bytes ingested and pinned counts, grouped and windowed", async ({ h, s }) => {
  const group = (key: string, l: Snapshot[], pinned: number, deleted: number) => ({
    key,
    snapshotCount: BigInt(l.length),
    bytesIngested: l.reduce((n, x) => n + x.size, 0n),
    storedBytes: l.reduce((n, x) => n + x.storedSize, 0n),
    pinnedCount: BigInt(pinned),
    deletedCount: BigInt(deleted),
  });
  const plainGroups = (l: SnapshotSummaryGroup[]) => l.map(({ $typeName: _, ...g }) => g);
  const byType = await h.snapshots.summarizeSnapshots({ storeId: STORE });
  assert.equal(plainGroups(byType.groups), [group("product", [s.json, s.copy], 0, 0), group("report", [s.pinned, s.deleted], 1, 1)]);
  assert.equal(plainGroups([byType.total!]), [group("", [s.json, s.copy, s.pinned, s.deleted], 1, 1)]);
  const byTag = await h.snapshots.summarizeSnapshots({ storeId: STORE, by: SummaryGroupBy.TAG });
  assert.equal(plainGroups(byTag.groups), [group("a", [s.json, s.copy], 0, 0), group("b", [s.json, s.deleted], 0, 1)]);
  assert.is(byTag.total!.snapshotCount, 4n, "a snapshot with two tags counts once in the total");
  const day = new Date().toISOString().slice(0, 10);
  assert.equal((await h.snapshots.summarizeSnapshots({ storeId: STORE, by: SummaryGroupBy.DAY })).groups.map((g) => g.key), [day]);
  const future = await h.snapshots.summarizeSnapshots({ storeId: STORE, since: timestampFromDate(new Date(Date.now() + 60_000)) });
  assert.equal({ groups: future.groups.length, total: future.total!.snapshotCount }, { groups: 0, total: 0n });
  const bad = await expectError(h.snapshots.summarizeSnapshots({ storeId: STORE, since: timestampFromDate(new Date(2000)), until: timestampFromDate(new Date(1000)) }));
  assert.is(bad.code, Code.InvalidArgument);
});

test.run();
