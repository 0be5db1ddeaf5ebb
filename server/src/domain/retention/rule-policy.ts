import { periodsOf, type Periods } from "./periods.js";
import { DAY_MS, hasKeepClause, type Clause, type EvaluatedRule, type Reason, type RetentionCandidate } from "./types.js";

/** What one rule says about the snapshots of one group it matches. */
export interface RuleOutcome {
  /** Keep reasons per snapshot id. */
  keeps: Map<string, Reason[]>;
  /** The rule's deletion reason per snapshot it selects. */
  selects: Map<string, Reason>;
}

const PERIOD_CLAUSES: readonly { clause: Clause; unit: keyof Periods; count: (r: EvaluatedRule) => number; noun: string }[] = [
  { clause: "KEEP_DAILY", unit: "day", count: (r) => r.keepDaily, noun: "day" },
  { clause: "KEEP_WEEKLY", unit: "week", count: (r) => r.keepWeekly, noun: "week" },
  { clause: "KEEP_MONTHLY", unit: "month", count: (r) => r.keepMonthly, noun: "month" },
  { clause: "KEEP_YEARLY", unit: "year", count: (r) => r.keepYearly, noun: "year" },
];

/** Newest first; equal times by id, descending. */
export const newestFirst = (a: RetentionCandidate, b: RetentionCandidate): number =>
  b.createTime.getTime() - a.createTime.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/**
 * Applies one rule to the snapshots of one group that it matches, the way restic's forget applies a
 * policy to a group (internal/restic/snapshot_policy.go), newest first:
 * - keep_latest_n keeps the n newest;
 * - keep_daily/weekly/monthly/yearly keep a snapshot whenever its period differs from the period of
 *   the last snapshot that clause kept, until n are kept; while a quota is not used up, the oldest
 *   snapshot is kept too ("oldest in ...");
 * - keep_within_days keeps every snapshot created less than n x 24 h before the newest snapshot
 *   that is not in the future (all of them when every snapshot is in the future).
 * The rule then selects for deletion each matched snapshot none of its clauses keeps and, with
 * delete_older_than_days, created at least that many days (x 24 h) before `now`.
 * `matched` must be newest first (`newestFirst`).
 */
export function applyRule(rule: EvaluatedRule, matched: readonly RetentionCandidate[], now: Date): RuleOutcome {
  const keeps = new Map<string, Reason[]>();
  const selects = new Map<string, Reason>();
  const under = `under rule ${rule.name}`;
  const keep = (c: RetentionCandidate, clause: Clause, description: string, period?: string) => {
    const reason: Reason = { kind: "RULE_KEEP", ruleId: rule.id, ruleName: rule.name, clause, description: `${description} ${under}` };
    if (period !== undefined) reason.period = period;
    const list = keeps.get(c.id);
    if (list) list.push(reason);
    else keeps.set(c.id, [reason]);
  };

  matched.slice(0, rule.keepLatestN).forEach((c, i) => keep(c, "KEEP_LATEST_N", `${ordinal(i + 1)} newest of ${rule.keepLatestN} kept`));

  const periods = new Map<string, Periods>();
  const periodsOfCandidate = (c: RetentionCandidate) => {
    let p = periods.get(c.id);
    if (!p) periods.set(c.id, (p = periodsOf(c.createTime, rule.timeZone)));
    return p;
  };
  for (const { clause, unit, count, noun } of PERIOD_CLAUSES) {
    let left = count(rule);
    let last: string | undefined;
    for (let i = 0; i < matched.length && left > 0; i++) {
      const c = matched[i];
      const period = periodsOfCandidate(c)[unit];
      if (period !== last) {
        keep(c, clause, `newest in ${noun} ${period}`, period);
      } else if (i === matched.length - 1) {
        keep(c, clause, `oldest snapshot, kept while ${noun} slots remain (${left} of ${count(rule)}); in ${noun} ${period}`, period);
      } else {
        continue;
      }
      last = period;
      left--;
    }
  }

  if (rule.keepWithinDays > 0 && matched.length > 0) {
    const past = matched.find((c) => c.createTime.getTime() <= now.getTime());
    const cutoff = past ? past.createTime.getTime() - rule.keepWithinDays * DAY_MS : Number.NEGATIVE_INFINITY;
    for (const c of matched) {
      if (c.createTime.getTime() > cutoff) keep(c, "KEEP_WITHIN_DAYS", `created within ${rule.keepWithinDays} days of the newest snapshot`);
    }
  }

  const keepsSome = hasKeepClause(rule);
  const olderThan = rule.deleteOlderThanDays > 0 ? now.getTime() - rule.deleteOlderThanDays * DAY_MS : undefined;
  const byAge: Reason = { kind: "RULE_DELETE", ruleId: rule.id, ruleName: rule.name, clause: "DELETE_OLDER_THAN_DAYS", description: `older than ${rule.deleteOlderThanDays} days ${under}` };
  const notKept: Reason = { kind: "RULE_DELETE", ruleId: rule.id, ruleName: rule.name, clause: "NOT_KEPT", description: `kept by no keep clause of rule ${rule.name}` };
  for (const c of matched) {
    if (keeps.has(c.id)) continue;
    if (olderThan !== undefined) {
      if (c.createTime.getTime() <= olderThan) selects.set(c.id, byAge);
    } else if (keepsSome) {
      selects.set(c.id, notKept);
    }
  }
  return { keeps, selects };
}

/** Whether a rule's selectors match a snapshot (empty selectors match everything). */
export const matchesSelector = (rule: EvaluatedRule, c: RetentionCandidate): boolean =>
  (rule.tag === "" || c.tags.includes(rule.tag)) && (rule.resourceType === "" || c.resourceType === rule.resourceType);

function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${["th", "st", "nd", "rd"][n % 10] ?? "th"}`;
}
