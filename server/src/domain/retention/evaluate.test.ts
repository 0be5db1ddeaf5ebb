import { test } from "uvu";
import * as assert from "uvu/assert";
import { evaluateGroup, keepLineageParents } from "./evaluate.js";
import { candidate, rule } from "../../../test/support/retention-candidates.js";
import type { Decision, Reason, RetentionCandidate } from "./types.js";

const BERLIN = "Europe/Berlin";
const NOW = new Date("2026-04-03T12:00:00Z");

/** A reason as one comparable line: kind, rule, clause, period, subject. */
const line = (r: Reason) => [r.kind, r.ruleName, r.clause, r.period, r.subjectId].filter(Boolean).join(" ");
const summary = (ds: Decision[]) => Object.fromEntries(ds.map((d) => [d.candidate.id, `${d.decision}: ${d.reasons.map(line).join(" | ")}`]));

/**
 * One product across a month boundary and Berlin's DST change (2026-03-29, 01:00Z: +1 -> +2).
 * Berlin calendar of each snapshot (UTC time in brackets):
 *   s0 Fri 03-20 (03-20 10:00)  W12  -         versions 1..9 in time order
 *   s1 Fri 03-27 (03-27 10:00)  W13  release   held
 *   s2 Sat 03-28 (03-28 22:30)  W13  -         pinned
 *   s3 Sun 03-29 (03-28 23:30)  W13  release   (still 03-28 in UTC)
 *   s4 Sun 03-29 (03-29 21:30)  W13  -         locked
 *   s5 Mon 03-30 (03-29 22:30)  W14  release   (03-29 and W13 in UTC: DST moved it a day)
 *   s6 Tue 03-31 (03-31 21:59)  W14  release
 *   s7 Wed 04-01 (03-31 22:30)  W14  release   (still March in UTC)
 *   s8 Thu 04-02 (04-02 08:00)  W14  -         latest version
 */
const group: RetentionCandidate[] = [
  ["s0", "2026-03-20T10:00:00Z", []],
  ["s1", "2026-03-27T10:00:00Z", ["release"], { held: true }],
  ["s2", "2026-03-28T22:30:00Z", [], { pinned: true }],
  ["s3", "2026-03-28T23:30:00Z", ["release"]],
  ["s4", "2026-03-29T21:30:00Z", [], { locked: true }],
  ["s5", "2026-03-29T22:30:00Z", ["release"]],
  ["s6", "2026-03-31T21:59:00Z", ["release"]],
  ["s7", "2026-03-31T22:30:00Z", ["release"]],
  ["s8", "2026-04-02T08:00:00Z", []],
].map(([id, t, tags, over], i) =>
  candidate({ id: id as string, createTime: new Date(t as string), tags: tags as string[], version: i + 1, ...(over as object) }),
);

const rules = (tz: string) => [
  // Three daily snapshots of every product.
  rule({ name: "daily", resourceType: "product", keepDaily: 3, timeZone: tz }),
  // Releases: two weekly and two monthly; unkept releases go once two days old.
  rule({ name: "releases", tag: "release", keepWeekly: 2, keepMonthly: 2, deleteOlderThanDays: 2, timeZone: tz }),
  // Anything older than a day goes unless something keeps it.
  rule({ name: "sweep", deleteOlderThanDays: 1 }),
  // Disabled: would keep everything.
  rule({ name: "off", keepLatestN: 100, enabled: false }),
];

test("overlapping rules in Berlin time across DST and a month boundary: hand-computed decisions", () => {
  assert.equal(summary(evaluateGroup(group, rules(BERLIN), NOW)), {
    s0: "DELETE: RULE_DELETE daily NOT_KEPT | RULE_DELETE sweep DELETE_OLDER_THAN_DAYS",
    s1: "KEEP: LEGAL_HOLD",
    s2: "KEEP: PINNED",
    s3: "KEEP: RULE_KEEP releases KEEP_WEEKLY 2026-W13 | RULE_DELETE daily NOT_KEPT | RULE_DELETE sweep DELETE_OLDER_THAN_DAYS",
    s4: "KEEP: LOCKED | RULE_DELETE daily NOT_KEPT | RULE_DELETE sweep DELETE_OLDER_THAN_DAYS",
    s5: "DELETE: RULE_DELETE daily NOT_KEPT | RULE_DELETE releases DELETE_OLDER_THAN_DAYS | RULE_DELETE sweep DELETE_OLDER_THAN_DAYS",
    s6: "KEEP: RULE_KEEP daily KEEP_DAILY 2026-03-31 | RULE_KEEP releases KEEP_MONTHLY 2026-03 | RULE_DELETE sweep DELETE_OLDER_THAN_DAYS",
    s7: "KEEP: RULE_KEEP daily KEEP_DAILY 2026-04-01 | RULE_KEEP releases KEEP_WEEKLY 2026-W14 | RULE_KEEP releases KEEP_MONTHLY 2026-04 | RULE_DELETE sweep DELETE_OLDER_THAN_DAYS",
    s8: "KEEP: RULE_KEEP daily KEEP_DAILY 2026-04-02 | LATEST_VERSION | RULE_DELETE sweep DELETE_OLDER_THAN_DAYS",
  });
});

test("the same rules in UTC keep different snapshots: days, weeks and months fall elsewhere", () => {
  // UTC days: s8 04-02, s7 03-31, s6 03-31, s5 03-29, s4 03-29, s3 03-28; weeks: s7,s6 W14, s5,s4,s3 W13; months: s7,s6,s5,s3 March.
  assert.equal(summary(evaluateGroup(group, rules("UTC"), NOW)), {
    s0: "DELETE: RULE_DELETE daily NOT_KEPT | RULE_DELETE sweep DELETE_OLDER_THAN_DAYS",
    s1: "KEEP: LEGAL_HOLD",
    s2: "KEEP: PINNED",
    s3: "KEEP: RULE_KEEP releases KEEP_MONTHLY 2026-03 | RULE_DELETE daily NOT_KEPT | RULE_DELETE sweep DELETE_OLDER_THAN_DAYS",
    s4: "KEEP: LOCKED | RULE_DELETE daily NOT_KEPT | RULE_DELETE sweep DELETE_OLDER_THAN_DAYS",
    s5: "KEEP: RULE_KEEP daily KEEP_DAILY 2026-03-29 | RULE_KEEP releases KEEP_WEEKLY 2026-W13 | RULE_DELETE sweep DELETE_OLDER_THAN_DAYS",
    s6: "DELETE: RULE_DELETE daily NOT_KEPT | RULE_DELETE releases DELETE_OLDER_THAN_DAYS | RULE_DELETE sweep DELETE_OLDER_THAN_DAYS",
    s7: "KEEP: RULE_KEEP daily KEEP_DAILY 2026-03-31 | RULE_KEEP releases KEEP_WEEKLY 2026-W14 | RULE_KEEP releases KEEP_MONTHLY 2026-03 | RULE_DELETE sweep DELETE_OLDER_THAN_DAYS",
    s8: "KEEP: RULE_KEEP daily KEEP_DAILY 2026-04-02 | LATEST_VERSION | RULE_DELETE sweep DELETE_OLDER_THAN_DAYS",
  });
});

test("reasons read as sentences that name the period and the rule", () => {
  const s7 = evaluateGroup(group, rules(BERLIN), NOW).find((d) => d.candidate.id === "s7")!;
  assert.equal(s7.reasons.map((r) => r.description).slice(0, 3), [
    "newest in day 2026-04-01 under rule daily",
    "newest in week 2026-W14 under rule releases",
    "newest in month 2026-04 under rule releases",
  ]);
});

test("exclude_pinned false: a pinned snapshot uses up a slot, and is still never deleted", () => {
  const three = group.slice(6); // s6, s7, s8
  const pinnedNewest = three.map((c) => (c.id === "s8" ? { ...c, pinned: true, version: 0 } : { ...c, version: 0 }));
  const counting = summary(evaluateGroup(pinnedNewest, [rule({ name: "last", keepLatestN: 1, excludePinned: false })], NOW));
  assert.equal(counting, { s6: "DELETE: RULE_DELETE last NOT_KEPT", s7: "DELETE: RULE_DELETE last NOT_KEPT", s8: "KEEP: RULE_KEEP last KEEP_LATEST_N | PINNED" });
  const excluding = summary(evaluateGroup(pinnedNewest, [rule({ name: "last", keepLatestN: 1 })], NOW));
  assert.equal(excluding, { s6: "DELETE: RULE_DELETE last NOT_KEPT", s7: "KEEP: RULE_KEEP last KEEP_LATEST_N", s8: "KEEP: PINNED" });
});

test("restic: while a period quota is not used up, the oldest snapshot is kept too", () => {
  const day = (id: string, t: string) => candidate({ id, createTime: new Date(t), resourceId: "" });
  const g = [day("b", "2026-04-02T10:00:00Z"), day("a1", "2026-04-01T12:00:00Z"), day("a2", "2026-04-01T11:00:00Z"), day("a3", "2026-04-01T10:00:00Z")];
  const d = summary(evaluateGroup(g, [rule({ name: "d5", keepDaily: 5 })], NOW));
  assert.equal(d, {
    b: "KEEP: RULE_KEEP d5 KEEP_DAILY 2026-04-02",
    a1: "KEEP: RULE_KEEP d5 KEEP_DAILY 2026-04-01",
    a2: "DELETE: RULE_DELETE d5 NOT_KEPT",
    a3: "KEEP: RULE_KEEP d5 KEEP_DAILY 2026-04-01",
  });
  assert.match(evaluateGroup(g, [rule({ name: "d5", keepDaily: 5 })], NOW)[3].reasons[0].description, /^oldest snapshot, kept while day slots remain/);
  // With the quota used up by the newest periods, the oldest is not kept.
  assert.is(summary(evaluateGroup(g, [rule({ name: "d1", keepDaily: 1 })], NOW)).a3, "DELETE: RULE_DELETE d1 NOT_KEPT");
});

test("keep_within_days counts back from the newest snapshot, not from now, strictly less than N x 24 h", () => {
  const g = ["2026-01-10T00:00", "2026-01-08T00:00", "2026-01-03T00:01", "2026-01-03T00:00"].map((t, i) =>
    candidate({ id: `w${i}`, createTime: new Date(`${t}:00Z`), resourceId: "" }),
  );
  const d = summary(evaluateGroup(g, [rule({ name: "week", keepWithinDays: 7 })], NOW));
  assert.equal(d, {
    w0: "KEEP: RULE_KEEP week KEEP_WITHIN_DAYS",
    w1: "KEEP: RULE_KEEP week KEEP_WITHIN_DAYS",
    w2: "KEEP: RULE_KEEP week KEEP_WITHIN_DAYS",
    w3: "DELETE: RULE_DELETE week NOT_KEPT",
  });
});

test("snapshots without a resource id have no latest version; share links and external protections keep", () => {
  const reports = [
    candidate({ id: "r1", resourceType: "report", resourceId: "", createTime: new Date("2026-03-01T00:00:00Z"), liveShareIds: ["share-9"] }),
    candidate({ id: "r2", resourceType: "report", resourceId: "", createTime: new Date("2026-03-02T00:00:00Z") }),
    candidate({ id: "r3", resourceType: "report", resourceId: "", createTime: new Date("2026-03-03T00:00:00Z") }),
    candidate({ id: "r4", resourceType: "report", resourceId: "", createTime: new Date("2026-04-03T11:00:00Z") }),
  ];
  const pendingRestore = (c: RetentionCandidate): Reason[] =>
    c.id === "r3" ? [{ kind: "PENDING_RESTORE", subjectId: "restore-1", description: "restore restore-1 is pending" }] : [];
  assert.equal(summary(evaluateGroup(reports, [rule({ name: "sweep", deleteOlderThanDays: 1 })], NOW, pendingRestore)), {
    r1: "KEEP: SHARE_LINK share-9 | RULE_DELETE sweep DELETE_OLDER_THAN_DAYS",
    r2: "DELETE: RULE_DELETE sweep DELETE_OLDER_THAN_DAYS",
    r3: "KEEP: PENDING_RESTORE restore-1 | RULE_DELETE sweep DELETE_OLDER_THAN_DAYS",
    r4: "KEEP: NOT_SELECTED",
  });
});

test("lineage: parents of kept snapshots are kept, transitively", async () => {
  const ds = evaluateGroup(
    ["p1", "p2", "p3", "x"].map((id, i) => candidate({ id, resourceId: "", createTime: new Date(Date.UTC(2026, 0, 1 + i)) })),
    [rule({ name: "sweep", deleteOlderThanDays: 1 })],
    NOW,
  );
  // p3's child is a kept snapshot elsewhere; p2 is p3's parent; p1 and x have no kept children.
  const parentOf: Record<string, string> = { p3: "kept-child", p2: "p3" };
  const deletions = new Map(ds.map((d) => [d.candidate.id, d]));
  const flipped = await keepLineageParents(deletions, async (ids) => {
    const out = new Map<string, string>();
    for (const [parent, child] of Object.entries(parentOf)) if (ids.has(parent) && !ids.has(child)) out.set(parent, child);
    return out;
  });
  assert.equal(flipped.map((d) => d.candidate.id).sort(), ["p2", "p3"]);
  assert.equal([...deletions.keys()].sort(), ["p1", "x"]);
  assert.equal(summary(ds).p2, "KEEP: LINEAGE_PARENT p3 | RULE_DELETE sweep DELETE_OLDER_THAN_DAYS");
});

test.run();
