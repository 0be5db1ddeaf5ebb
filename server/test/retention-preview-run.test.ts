import { randomBytes } from "node:crypto";
import { toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { sql } from "drizzle-orm";
import { Code } from "@connectrpc/connect";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import { JobState, JobType } from "../../gen/vellum/v1/job_pb.js";
import { RetentionDecisionKind, RetentionReasonKind, type RetentionDecision } from "../../gen/vellum/v1/retention_pb.js";
import { ShareAccess } from "../../gen/vellum/v1/share_pb.js";
import { SnapshotState } from "../../gen/vellum/v1/snapshot_pb.js";
import { expectError } from "./support/expect-error.js";
import { createMemoryHarness, type MemoryHarness } from "./support/memory-client.js";
import { DAY_MS, finishedJob, retentionClients, snapshotAged } from "./support/retention-fixtures.js";

/**
 * PreviewRetention explains every decision; RunRetention (a RUN_RETENTION job) deletes exactly the
 * preview's deletion set, audited with the rules; reclaimable bytes match what reclaim then frees.
 */
const test = suite<{ h: MemoryHarness; c: ReturnType<typeof retentionClients>; ids: Record<string, string> }>(
  "retention: explained preview, and a run deletes what the preview showed",
);

const STORE = "ret";

test.before(async (ctx) => {
  ctx.h = await createMemoryHarness(undefined, { VELLUM_RECLAIM_INTERVAL_MS: "0", VELLUM_LIFECYCLE_INTERVAL_MS: "0", VELLUM_PACK_TARGET_BYTES: String(256 * 1024) });
  ctx.c = retentionClients(ctx.h);
  const ids: Record<string, string> = {};
  const make = async (name: string, resourceType: string, resourceId: string, daysAgo: number, tags: string[] = []) =>
    (ids[name] = (await snapshotAged(ctx.h, { storeId: STORE, resourceType, resourceId, daysAgo, tags, body: Buffer.from(`${name}-${randomBytes(8).toString("hex")}`) })).snapshotId);
  // Oldest first, so versions follow time. product/p1: a5 (40 days) ... a0 (today).
  for (const [name, days] of [["a5", 40], ["a4", 20], ["a3", 10], ["a2", 3], ["a1", 2], ["a0", 0]] as const) await make(name, "product", "p1", days, ["nightly"]);
  await make("b1", "product", "p2", 30);
  await make("b0", "product", "p2", 1);
  await make("r1", "report", "", 50);
  await make("r0", "report", "", 5);
  await ctx.c.admin.pinSnapshot({ storeId: STORE, snapshotId: ids.a4, reason: "audit 2026" });
  await ctx.c.shares.shareSnapshot({ storeId: STORE, snapshotId: ids.b1, access: ShareAccess.READ });
  await ctx.c.admin.setLegalHold({ storeId: STORE, snapshotId: ids.r1, reason: "case 42" });
  await ctx.c.retention.createRetentionRule({ storeId: STORE, rule: { name: "nightly", tag: "nightly", keepLatestN: 2 } });
  await ctx.c.retention.createRetentionRule({ storeId: STORE, rule: { name: "sweep", deleteOlderThanDays: 7 } });
  ctx.ids = ids;
});
test.after(async (ctx) => ctx.h.close());

/** Decisions as "name: KEEP|DELETE kind[/rule/clause], ..." with snapshot ids replaced by fixture names. */
function explain(ds: RetentionDecision[], ids: Record<string, string>): string[] {
  const nameOf = new Map(Object.entries(ids).map(([k, v]) => [v, k]));
  return ds.map((d) => {
    const reasons = d.reasons.map((r) => [RetentionReasonKind[r.kind], r.ruleName].filter(Boolean).join("/"));
    return `${nameOf.get(d.snapshotId)}: ${RetentionDecisionKind[d.decision]} ${reasons.join(", ")}`;
  });
}

test("the preview explains every decision, in walk order, with totals", async ({ c, ids }) => {
  const p = await c.retention.previewRetention({ storeId: STORE });
  assert.equal(explain(p.decisions, ids), [
    "a5: DELETE RULE_DELETE/nightly, RULE_DELETE/sweep",
    "a4: KEEP PINNED",
    "a3: DELETE RULE_DELETE/nightly, RULE_DELETE/sweep",
    "a2: DELETE RULE_DELETE/nightly",
    "a1: KEEP RULE_KEEP/nightly",
    "a0: KEEP RULE_KEEP/nightly, LATEST_VERSION",
    "b1: KEEP SHARE_LINK, RULE_DELETE/sweep",
    "b0: KEEP LATEST_VERSION",
    "r1: KEEP LEGAL_HOLD",
    "r0: KEEP NOT_SELECTED",
  ]);
  assert.equal(
    { considered: p.totals!.consideredCount, keep: p.totals!.keepCount, del: p.totals!.deleteCount },
    { considered: 10n, keep: 7n, del: 3n },
  );
  const doomed = p.decisions.filter((d) => d.decision === RetentionDecisionKind.DELETE);
  assert.is(p.totals!.deleteLogicalBytes, doomed.reduce((n, d) => n + d.size, 0n));
  assert.ok(p.totals!.reclaimableBytes > 0n, "their small contents share nothing");
  const a0 = p.decisions.find((d) => d.snapshotId === ids.a0)!;
  assert.equal(a0.reasons.map((r) => r.description), ["1st newest of 2 kept under rule nightly", "latest version (6) of product/p1"]);
  const a3 = p.decisions.find((d) => d.snapshotId === ids.a3)!;
  assert.equal(a3.reasons.map((r) => r.description), ["kept by no keep clause of rule nightly", "older than 7 days under rule sweep"]);
  assert.ok(a3.reasons.every((r) => r.ruleId.length === 36));
  assert.is(p.nextPageToken, "");
});

test("pages of `limit` decisions continue where the last ended, at the same evaluation time", async ({ c, ids }) => {
  const seen: string[] = [];
  let token = "";
  let pages = 0;
  let evaluateTime: bigint | undefined;
  do {
    const p = await c.retention.previewRetention({ storeId: STORE, limit: 4, pageToken: token });
    assert.ok(p.decisions.length <= 4);
    assert.is(p.totals!.consideredCount, 10n);
    evaluateTime ??= p.evaluateTime!.seconds;
    assert.is(p.evaluateTime!.seconds, evaluateTime);
    seen.push(...explain(p.decisions, ids).map((l) => l.split(":")[0]));
    token = p.nextPageToken;
    pages++;
  } while (token);
  assert.is(pages, 3);
  assert.equal(seen, ["a5", "a4", "a3", "a2", "a1", "a0", "b1", "b0", "r1", "r0"]);
  const deletions = await c.retention.previewRetention({ storeId: STORE, deletionsOnly: true });
  assert.equal(explain(deletions.decisions, ids).map((l) => l.split(":")[0]), ["a5", "a3", "a2"]);
  assert.is(deletions.totals!.consideredCount, 10n);
});

test("bad page tokens, limits and what-if rules are INVALID_ARGUMENT, never INTERNAL", async ({ c }) => {
  const first = await c.retention.previewRetention({ storeId: STORE, limit: 2 });
  const field = async (p: Promise<unknown>) => {
    const e = await expectError(p);
    assert.is(e.code, Code.InvalidArgument, e.message);
    return e.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field));
  };
  assert.equal(await field(c.retention.previewRetention({ storeId: STORE, limit: 2, pageToken: "garbage" })), ["page_token"]);
  assert.equal(await field(c.retention.previewRetention({ storeId: STORE, limit: 2, deletionsOnly: true, pageToken: first.nextPageToken })), ["page_token"]);
  // A token of this request whose position was tampered with (its filter fingerprint still matches).
  const body = JSON.parse(Buffer.from(first.nextPageToken, "base64url").toString()) as { c: { t: string; p: string } };
  for (const p of ["[1,2]", '["a","b","2026-01-01T00:00:00","x\'; drop table snapshots; --"]', "{"]) {
    const forged = Buffer.from(JSON.stringify({ ...body, c: { ...body.c, p } })).toString("base64url");
    assert.equal(await field(c.retention.previewRetention({ storeId: STORE, limit: 2, pageToken: forged })), ["page_token"]);
  }
  const future = Buffer.from(JSON.stringify({ ...body, c: { ...body.c, t: new Date(Date.now() + DAY_MS).toISOString() } })).toString("base64url");
  assert.equal(await field(c.retention.previewRetention({ storeId: STORE, limit: 2, pageToken: future })), ["page_token"]);
  assert.equal(await field(c.retention.previewRetention({ storeId: STORE, limit: -1 })), ["limit"]);
  assert.equal(
    await field(c.retention.previewRetention({ storeId: STORE, rules: [{ name: "dup", keepLatestN: 1 }, { name: "dup", keepDaily: 1 }, { name: "none" }] })),
    ["rules[2]", "rules[1].name"],
  );
});

test("what-if rules are evaluated instead of the stored ones, which stay as they are", async ({ c, ids }) => {
  const p = await c.retention.previewRetention({ storeId: STORE, deletionsOnly: true, rules: [{ name: "three", keepLatestN: 3 }] });
  assert.equal(explain(p.decisions, ids), ["a5: DELETE RULE_DELETE/three", "a3: DELETE RULE_DELETE/three"]);
  assert.ok(p.decisions.every((d) => d.reasons.every((r) => r.ruleId === "")));
  assert.is((await c.retention.listRetentionRules({ storeId: STORE })).rules.length, 2);
});

test("a dry run deletes nothing; a run deletes exactly the preview's set, audited with the rules", async ({ h, c, ids }) => {
  const dry = (await c.retention.runRetention({ storeId: STORE, dryRun: true })).job!;
  assert.is(dry.type, JobType.RUN_RETENTION);
  const dryDone = await finishedJob(h, STORE, dry.jobId);
  assert.is(dryDone.state, JobState.SUCCEEDED);
  const dryDetails = dryDone.result!.details!;
  assert.equal({ del: dryDetails.delete_count, deleted: dryDetails.deleted_count, dry: dryDetails.dry_run }, { del: 3, deleted: 0, dry: true });
  assert.is((await h.snapshots.listSnapshots({ storeId: STORE })).totalSize, 10);

  const preview = await c.retention.previewRetention({ storeId: STORE, deletionsOnly: true });
  const job = await finishedJob(h, STORE, (await c.retention.runRetention({ storeId: STORE })).job!.jobId);
  assert.is(job.state, JobState.SUCCEEDED);
  const details = job.result!.details!;
  const previewed = preview.decisions.map((d) => d.snapshotId).sort();
  assert.equal([...(details.deleted_snapshot_ids as string[])].sort(), previewed);
  assert.equal(
    { del: details.delete_count, deleted: details.deleted_count, skipped: details.skipped_count, bytes: details.reclaimable_bytes },
    { del: 3, deleted: 3, skipped: 0, bytes: Number(preview.totals!.reclaimableBytes) },
  );
  const all = await h.snapshots.listSnapshots({ storeId: STORE, showDeleted: true });
  const deleted = all.snapshots.filter((s) => s.state === SnapshotState.DELETED);
  assert.equal(deleted.map((s) => s.snapshotId).sort(), previewed);
  for (const s of deleted) {
    const window = Number(s.purgeTime!.seconds - s.deleteTime!.seconds) * 1000;
    assert.ok(Math.abs(window - 7 * DAY_MS) < 2000, "purgeable after the default 7-day undelete window");
  }
  assert.equal([ids.a5, ids.a3, ids.a2].sort(), previewed);

  const events = (await c.audit.listAuditEvents({ storeId: STORE, action: "retention.delete" })).events;
  assert.equal(events.map((e) => e.resourceId).sort(), previewed);
  const a3 = events.find((e) => e.resourceId === ids.a3)!;
  const after = toJson(ValueSchema, a3.after!) as { state: string; retention: { jobId: string; reasons: { ruleName: string; clause: string }[] } };
  assert.equal(after.state, "DELETED");
  assert.equal(after.retention.jobId, job.jobId);
  assert.equal(after.retention.reasons.map((r) => `${r.ruleName}/${r.clause}`), ["nightly/NOT_KEPT", "sweep/DELETE_OLDER_THAN_DAYS"]);
  const completed = (await c.audit.listAuditEvents({ storeId: STORE, action: "retention.run.completed" })).events;
  assert.is(completed.length, 2, "the dry run and the run");
  assert.equal((toJson(ValueSchema, completed[0].after!) as { deletedCount: number }).deletedCount, 3);
  const runEvents = (await c.events.listEvents({ storeId: STORE, pageSize: 1000, filter: { types: ["retention.run.completed"] } })).events;
  const seqs = (xs: bigint[]) => xs.map(String).sort();
  assert.equal(seqs(runEvents.map((e) => e.eventId)), seqs(completed.map((e) => e.seq)), "each run is one retention.run.completed event");

  const next = await c.retention.previewRetention({ storeId: STORE });
  assert.is(next.totals!.deleteCount, 0n, "a second run would delete nothing");
  assert.is(next.totals!.consideredCount, 7n);
});

test("a snapshot protected between the evaluation and its deletion is skipped", async ({ h, c }) => {
  const store = "race";
  const old = await snapshotAged(h, { storeId: store, resourceType: "doc", resourceId: "d", daysAgo: 30, body: randomBytes(100) });
  await snapshotAged(h, { storeId: store, resourceType: "doc", resourceId: "d", daysAgo: 0, body: randomBytes(100) });
  await c.retention.createRetentionRule({ storeId: store, rule: { name: "sweep", deleteOlderThanDays: 7 } });
  const preview = await c.retention.previewRetention({ storeId: store, deletionsOnly: true });
  assert.equal(preview.decisions.map((d) => d.snapshotId), [old.snapshotId]);
  // Pinned, held, or shared after the evaluation: the deleter re-checks each under the row lock.
  const { createRetentionDeleter } = await import("../src/storage/db/retention-deleter.js");
  const deleter = createRetentionDeleter(h.services.database.db);
  const at = { deleteTime: new Date(), purgeTime: new Date(Date.now() + DAY_MS) };
  const audit = { actor: "test:race", requestId: "race" };
  const batch = [{ id: old.snapshotId, reasons: preview.decisions[0].reasons.map((r) => ({ kind: "RULE_DELETE" as const, description: r.description })) }];
  await c.admin.pinSnapshot({ storeId: store, snapshotId: old.snapshotId });
  assert.equal(await deleter.softDelete(store, batch, at, audit), []);
  await c.admin.unpinSnapshot({ storeId: store, snapshotId: old.snapshotId });
  const share = (await c.shares.shareSnapshot({ storeId: store, snapshotId: old.snapshotId, access: ShareAccess.READ })).share!;
  assert.equal(await deleter.softDelete(store, batch, at, audit), []);
  await c.shares.revokeShare({ storeId: store, shareId: share.shareId });
  assert.equal(await deleter.softDelete(store, batch, at, audit), [old.snapshotId]);
  assert.is((await h.snapshots.getSnapshot({ storeId: store, snapshotId: old.snapshotId })).snapshot!.state, SnapshotState.DELETED);
});

test("the reclaimable bytes of a preview are exactly what reclaim frees after the run and the purge", async ({ h, c }) => {
  const store = "dedup";
  const shared = randomBytes(400_000);
  const old = await snapshotAged(h, { storeId: store, resourceType: "doc", resourceId: "d1", daysAgo: 30, body: Buffer.concat([shared, randomBytes(400_000)]) });
  const current = await snapshotAged(h, { storeId: store, resourceType: "doc", resourceId: "d1", daysAgo: 0, body: shared });
  await c.retention.createRetentionRule({ storeId: store, rule: { name: "sweep", deleteOlderThanDays: 7 } });
  const preview = await c.retention.previewRetention({ storeId: store, deletionsOnly: true });
  assert.equal(preview.decisions.map((d) => d.snapshotId), [old.snapshotId]);
  const reclaimable = Number(preview.totals!.reclaimableBytes);
  assert.ok(reclaimable > 0 && reclaimable < Number(old.storedSize), `the shared prefix stays for the current version (${reclaimable} of ${old.storedSize})`);

  const job = await finishedJob(h, store, (await c.retention.runRetention({ storeId: store })).job!.jobId);
  assert.equal(job.result!.details!.deleted_snapshot_ids, [old.snapshotId]);
  const db = h.services.database.db;
  const chunkBytes = async () => Number((await db.execute<{ n: string }>(sql`select coalesce(sum(length), 0)::text as n from chunks where store_id = ${store}`))[0].n);
  assert.ok((await h.services.retention.lifecyclePass(new Date(Date.now() + 8 * DAY_MS))).purged >= 1);
  assert.is((await h.snapshots.listSnapshots({ storeId: store, showDeleted: true })).totalSize, 1, "the old version is purged");
  const before = await chunkBytes();
  await h.services.reclaim({ graceMs: 3600_000, now: new Date(Date.now() + 8 * DAY_MS + 7200_000) });
  assert.is(before - (await chunkBytes()), reclaimable);
  const parts: Uint8Array[] = [];
  for await (const m of h.snapshots.downloadSnapshot({ storeId: store, snapshotId: current.snapshotId })) parts.push(m.chunk);
  assert.ok(Buffer.concat(parts).equals(shared));
});

test.run();
