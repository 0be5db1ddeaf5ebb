import { Code } from "@connectrpc/connect";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import type { RetentionRule } from "../../gen/vellum/v1/retention_pb.js";
import { expectError } from "./support/expect-error.js";
import { createMemoryHarness, type MemoryHarness } from "./support/memory-client.js";
import { retentionClients } from "./support/retention-fixtures.js";

/** RetentionService rules: create, read, list, update with etags and masks, delete; all audited. */
const test = suite<{ h: MemoryHarness; c: ReturnType<typeof retentionClients> }>("retention rules: CRUD through the RPC path");

test.before(async (ctx) => {
  ctx.h = await createMemoryHarness(undefined, { VELLUM_RECLAIM_INTERVAL_MS: "0", VELLUM_LIFECYCLE_INTERVAL_MS: "0" });
  ctx.c = retentionClients(ctx.h);
});
test.after(async (ctx) => ctx.h.close());

const STORE = "rules";
const fields = async (p: Promise<unknown>) => (await expectError(p)).findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field));

test("create applies defaults and canonical names; names are unique per store", async ({ c }) => {
  const { rule } = await c.retention.createRetentionRule({
    storeId: STORE,
    rule: { name: "nightly", tag: "nightly", keepDaily: 7, keepWeekly: 4, timeZone: "europe/berlin" },
  });
  assert.ok(rule);
  assert.match(rule.ruleId, /^[0-9a-f-]{36}$/);
  assert.equal(
    { name: rule.name, tag: rule.tag, daily: rule.keepDaily, weekly: rule.keepWeekly, excludePinned: rule.excludePinned, enabled: rule.enabled, tz: rule.timeZone, store: rule.storeId },
    { name: "nightly", tag: "nightly", daily: 7, weekly: 4, excludePinned: true, enabled: true, tz: "Europe/Berlin", store: STORE },
  );
  assert.ok(rule.etag && rule.createTime && rule.createdBy);
  const again = await expectError(c.retention.createRetentionRule({ storeId: STORE, rule: { name: "nightly", keepLatestN: 1 } }));
  assert.is(again.code, Code.AlreadyExists);
  // Another store may use the name.
  await c.retention.createRetentionRule({ storeId: `${STORE}-other`, rule: { name: "nightly", keepLatestN: 1 } });
  const utc = (await c.retention.createRetentionRule({ storeId: STORE, rule: { name: "sweep", deleteOlderThanDays: 30, excludePinned: false, enabled: false } })).rule!;
  assert.equal({ tz: utc.timeZone, excludePinned: utc.excludePinned, enabled: utc.enabled }, { tz: "UTC", excludePinned: false, enabled: false });
});

test("bad rules are INVALID_ARGUMENT naming every bad field", async ({ c }) => {
  assert.equal(await fields(c.retention.createRetentionRule({ storeId: STORE, rule: { name: "nothing" } })), ["rule"]);
  assert.equal(
    (await fields(c.retention.createRetentionRule({ storeId: STORE, rule: { name: "bad name!", keepDaily: -1, keepWithinDays: 40000, timeZone: "Mars/Base", tag: "no spaces" } }))).sort(),
    ["rule.keep_daily", "rule.keep_within_days", "rule.name", "rule.tag", "rule.time_zone"],
  );
  assert.equal(await fields(c.retention.createRetentionRule({ storeId: "bad store", rule: { name: "x", keepLatestN: 1 } })), ["store_id"]);
});

test("get, list with paging, update with mask and etag, delete", async ({ c }) => {
  const rules: RetentionRule[] = [];
  for (let i = 0; i < 3; i++) rules.push((await c.retention.createRetentionRule({ storeId: "paged", rule: { name: `r${i}`, keepLatestN: i + 1 } })).rule!);
  assert.equal((await c.retention.getRetentionRule({ storeId: "paged", ruleId: rules[1].ruleId })).rule, rules[1]);
  const first = await c.retention.listRetentionRules({ storeId: "paged", pageSize: 2 });
  assert.equal(first.rules.map((r) => r.name), ["r2", "r1"]);
  const second = await c.retention.listRetentionRules({ storeId: "paged", pageSize: 2, pageToken: first.nextPageToken });
  assert.equal(second.rules.map((r) => r.name), ["r0"]);
  assert.is(second.nextPageToken, "");

  const r = rules[0];
  const updated = (
    await c.retention.updateRetentionRule({
      storeId: "paged",
      rule: { ruleId: r.ruleId, keepLatestN: 9, enabled: false, name: "ignored" },
      updateMask: { paths: ["keep_latest_n", "enabled"] },
      etag: r.etag,
    })
  ).rule!;
  assert.equal({ n: updated.keepLatestN, enabled: updated.enabled, name: updated.name }, { n: 9, enabled: false, name: "r0" });
  assert.is.not(updated.etag, r.etag);
  const stale = await expectError(c.retention.updateRetentionRule({ storeId: "paged", rule: { ruleId: r.ruleId, keepLatestN: 1 }, updateMask: { paths: ["keep_latest_n"] }, etag: r.etag }));
  assert.is(stale.code, Code.Aborted);
  const taken = await expectError(c.retention.updateRetentionRule({ storeId: "paged", rule: { ruleId: r.ruleId, name: "r1" }, updateMask: { paths: ["name"] } }));
  assert.is(taken.code, Code.AlreadyExists);
  assert.equal(await fields(c.retention.updateRetentionRule({ storeId: "paged", rule: { ruleId: r.ruleId }, updateMask: { paths: ["colour"] } })), ["update_mask"]);
  assert.equal(await fields(c.retention.updateRetentionRule({ storeId: "paged", rule: { ruleId: r.ruleId }, updateMask: { paths: ["keep_latest_n"] } })), ["rule"], "no clause left");
  // A mask naming `enabled` without a value turns it back on (its default).
  const reenabled = (await c.retention.updateRetentionRule({ storeId: "paged", rule: { ruleId: r.ruleId }, updateMask: { paths: ["enabled"] } })).rule!;
  assert.ok(reenabled.enabled);

  assert.is((await expectError(c.retention.deleteRetentionRule({ storeId: "paged", ruleId: r.ruleId, etag: updated.etag }))).code, Code.Aborted);
  await c.retention.deleteRetentionRule({ storeId: "paged", ruleId: r.ruleId, etag: reenabled.etag });
  assert.is((await expectError(c.retention.getRetentionRule({ storeId: "paged", ruleId: r.ruleId }))).code, Code.NotFound);
  assert.is((await expectError(c.retention.deleteRetentionRule({ storeId: "paged", ruleId: r.ruleId }))).code, Code.NotFound);
  // Another store cannot see the rule.
  assert.is((await expectError(c.retention.getRetentionRule({ storeId: "elsewhere", ruleId: rules[1].ruleId }))).code, Code.NotFound);

  const events = await c.audit.listAuditEvents({ storeId: "paged", resourceType: "retention_rule" });
  assert.equal(events.events.map((e) => e.action), [
    "retention_rule.delete",
    "retention_rule.update",
    "retention_rule.update",
    "retention_rule.create",
    "retention_rule.create",
    "retention_rule.create",
  ]);
});

test("a store holds at most 100 rules", async ({ c }) => {
  for (let i = 0; i < 100; i++) await c.retention.createRetentionRule({ storeId: "full", rule: { name: `r${i}`, keepLatestN: 1 } });
  const err = await expectError(c.retention.createRetentionRule({ storeId: "full", rule: { name: "one-more", keepLatestN: 1 } }));
  assert.is(err.code, Code.FailedPrecondition);
});

test.run();
