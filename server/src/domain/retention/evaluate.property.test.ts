import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { evaluateGroup } from "./evaluate.js";
import { periodsOf, type Periods } from "./periods.js";
import { candidate, rule } from "../../../test/support/retention-candidates.js";
import { DAY_MS, KEEPING_KINDS, type EvaluatedRule, type RetentionCandidate } from "./types.js";

const NOW = new Date("2026-06-01T00:00:00Z");
const ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"];
const TAGS = ["a", "b"];

const candidatesArb = fc
  .array(
    fc.record({
      // Two years back, plus a few snapshots slightly in the future (clock skew).
      offsetMin: fc.integer({ min: -60 * 24 * 730, max: 60 * 24 }),
      tags: fc.subarray(TAGS),
      pinned: fc.boolean(),
      locked: fc.boolean(),
      held: fc.boolean(),
      shared: fc.boolean(),
    }),
    { minLength: 1, maxLength: 40 },
  )
  .chain((rows) =>
    fc.record({ withResource: fc.boolean(), protectRate: fc.integer({ min: 0, max: 4 }) }).map(({ withResource, protectRate }) =>
      rows.map((r, i) =>
        candidate({
          id: `c${String(i).padStart(3, "0")}`,
          createTime: new Date(NOW.getTime() + r.offsetMin * 60_000),
          resourceId: withResource ? "res" : "",
          version: withResource ? i + 1 : 0,
          tags: r.tags,
          // Protections are rarer than not, so rules have something to decide.
          pinned: r.pinned && i % 5 < protectRate,
          locked: r.locked && i % 7 < protectRate,
          held: r.held && i % 9 < protectRate,
          liveShareIds: r.shared && i % 11 < protectRate ? [`share-${i}`] : [],
        }),
      ),
    ),
  );

const ruleArb = fc
  .record({
    tag: fc.constantFrom("", ...TAGS),
    keepLatestN: fc.nat(4),
    keepWithinDays: fc.constantFrom(0, 0, 3, 40),
    keepDaily: fc.nat(5),
    keepWeekly: fc.nat(4),
    keepMonthly: fc.nat(4),
    keepYearly: fc.nat(2),
    deleteOlderThanDays: fc.constantFrom(0, 0, 1, 30, 400),
    excludePinned: fc.boolean(),
    enabled: fc.oneof(fc.constant(true), fc.constant(true), fc.constant(false)),
    timeZone: fc.constantFrom(...ZONES),
  })
  .map((r) => ({ ...r, resourceType: "", deleteOlderThanDays: r.deleteOlderThanDays || (r.keepLatestN + r.keepDaily ? 0 : 30) }));

const rulesArb = fc.array(ruleArb, { minLength: 1, maxLength: 4 }).map((rs) => rs.map((r, i) => rule({ ...r, name: `r${i}` })));

/** Independent oracle for what one rule keeps among the snapshots it matches (newest first). */
function oracleKeeps(r: EvaluatedRule, matched: RetentionCandidate[]): Set<string> {
  const kept = new Set<string>();
  matched.slice(0, r.keepLatestN).forEach((c) => kept.add(c.id));
  const units: [keyof Periods, number][] = [["day", r.keepDaily], ["week", r.keepWeekly], ["month", r.keepMonthly], ["year", r.keepYearly]];
  for (const [unit, n] of units) {
    if (n === 0) continue;
    // The newest snapshot of each of the n newest periods; and the oldest one when fewer than n periods exist.
    const newestOf = new Map<string, RetentionCandidate>();
    for (const c of matched) {
      const p = periodsOf(c.createTime, r.timeZone)[unit];
      if (!newestOf.has(p)) newestOf.set(p, c);
    }
    [...newestOf.values()].slice(0, n).forEach((c) => kept.add(c.id));
    if (newestOf.size < n && matched.length) kept.add(matched[matched.length - 1].id);
  }
  if (r.keepWithinDays > 0) {
    const newestPast = matched.find((c) => c.createTime <= NOW);
    for (const c of matched) if (!newestPast || c.createTime.getTime() > newestPast.createTime.getTime() - r.keepWithinDays * DAY_MS) kept.add(c.id);
  }
  return kept;
}

const byNewest = (a: RetentionCandidate, b: RetentionCandidate) => b.createTime.getTime() - a.createTime.getTime() || (a.id < b.id ? 1 : -1);

test("property: kept by any clause or protection => KEEP with a keeping reason; DELETE exactly when selected and kept by nothing", () => {
  fc.assert(
    fc.property(candidatesArb, rulesArb, (group, rules) => {
      const decisions = evaluateGroup(group, rules, NOW);
      const ordered = [...group].sort(byNewest);
      const latest = group[0].resourceId ? Math.max(...group.map((c) => c.version)) : 0;
      const keptByRule = new Set<string>();
      const selected = new Set<string>();
      for (const r of rules.filter((x) => x.enabled)) {
        const matched = ordered.filter((c) => !c.held && !(r.excludePinned && c.pinned) && (r.tag === "" || c.tags.includes(r.tag)));
        const keeps = oracleKeeps(r, matched);
        keeps.forEach((id) => keptByRule.add(id));
        const hasKeep = r.keepLatestN + r.keepWithinDays + r.keepDaily + r.keepWeekly + r.keepMonthly + r.keepYearly > 0;
        for (const c of matched) {
          if (keeps.has(c.id)) continue;
          if (r.deleteOlderThanDays > 0 ? c.createTime.getTime() <= NOW.getTime() - r.deleteOlderThanDays * DAY_MS : hasKeep) selected.add(c.id);
        }
      }
      assert.is(decisions.length, group.length);
      decisions.forEach((d, i) => {
        const c = group[i];
        assert.is(d.candidate.id, c.id, "decisions come in input order");
        const protectedHere = c.pinned || c.locked || c.held || c.liveShareIds.length > 0 || (latest > 0 && c.version === latest);
        const kept = keptByRule.has(c.id) || protectedHere;
        if (kept) assert.is(d.decision, "KEEP", `${c.id} is kept by a clause or protection`);
        assert.is(d.decision, !kept && selected.has(c.id) ? "DELETE" : "KEEP", c.id);
        assert.ok(d.reasons.length > 0, "every decision lists a reason");
        if (d.decision === "KEEP") assert.ok(d.reasons.some((r) => KEEPING_KINDS.has(r.kind)), "a KEEP lists a keeping reason");
        else assert.ok(d.reasons.every((r) => r.kind === "RULE_DELETE" && r.ruleName), "a DELETE lists only the rules selecting it");
      });
    }),
    { numRuns: 500 },
  );
});

test("property: the order of rules does not matter, and raising a keep count never deletes more", () => {
  fc.assert(
    fc.property(candidatesArb, rulesArb, fc.nat(3), fc.constantFrom("keepLatestN", "keepWithinDays", "keepDaily", "keepWeekly", "keepMonthly", "keepYearly"), (group, rules, extra, clause) => {
      const decide = (rs: EvaluatedRule[]) => evaluateGroup(group, rs, NOW).map((d) => d.decision);
      const deleted = (rs: EvaluatedRule[]) => new Set(evaluateGroup(group, rs, NOW).filter((d) => d.decision === "DELETE").map((d) => d.candidate.id));
      assert.equal(decide([...rules].reverse()), decide(rules));
      const base = deleted(rules);
      const more = deleted(rules.map((r, i) => (i === 0 ? { ...r, [clause]: r[clause] + extra + 1 } : r)));
      assert.ok([...more].every((id) => base.has(id)));
    }),
    { numRuns: 300 },
  );
});

test.run();
