import { RESOURCE_TYPE_RE, TAG_RE, Validator } from "../validate.js";
import { canonicalTimeZone } from "./periods.js";
import { hasKeepClause, type RetentionRuleSpec } from "./types.js";

export const RULE_NAME_RE = /^[A-Za-z0-9._-]{1,64}$/;
/** Rules per store, and what-if rules per preview. */
export const MAX_RULES = 100;
export const MAX_KEEP_COUNT = 100_000;
export const MAX_DAYS = 36_500;

/** A rule as it arrives from the transport; booleans left unset take their defaults (true). */
export type RuleSpecInput = Omit<RetentionRuleSpec, "excludePinned" | "enabled"> & { excludePinned?: boolean; enabled?: boolean };

/** Fields of a rule UpdateRetentionRule may name in its mask. */
export const RULE_MASK_PATHS: Readonly<Record<string, keyof RetentionRuleSpec>> = {
  name: "name",
  tag: "tag",
  resource_type: "resourceType",
  keep_latest_n: "keepLatestN",
  keep_within_days: "keepWithinDays",
  keep_daily: "keepDaily",
  keep_weekly: "keepWeekly",
  keep_monthly: "keepMonthly",
  keep_yearly: "keepYearly",
  delete_older_than_days: "deleteOlderThanDays",
  exclude_pinned: "excludePinned",
  enabled: "enabled",
  time_zone: "timeZone",
};

const COUNTS = [
  ["keep_latest_n", "keepLatestN", MAX_KEEP_COUNT],
  ["keep_within_days", "keepWithinDays", MAX_DAYS],
  ["keep_daily", "keepDaily", MAX_KEEP_COUNT],
  ["keep_weekly", "keepWeekly", MAX_KEEP_COUNT],
  ["keep_monthly", "keepMonthly", MAX_KEEP_COUNT],
  ["keep_yearly", "keepYearly", MAX_KEEP_COUNT],
  ["delete_older_than_days", "deleteOlderThanDays", MAX_DAYS],
] as const;

/**
 * Validates a rule, collecting violations under `prefix` (e.g. "rule." or "rules[2]."), and returns
 * it with defaults applied (exclude_pinned and enabled true, time zone "UTC", canonical zone name).
 * A rule needs a name and at least one clause.
 */
export function validateRuleSpec(input: RuleSpecInput, v: Validator, prefix: string): RetentionRuleSpec {
  const f = (name: string) => prefix + name;
  v.pattern(f("name"), input.name, RULE_NAME_RE, 64, "1-64 characters of [A-Za-z0-9._-]");
  v.pattern(f("tag"), input.tag, TAG_RE, 128, "1-128 characters of [A-Za-z0-9._:/@+=-]", false);
  v.pattern(f("resource_type"), input.resourceType, RESOURCE_TYPE_RE, 64, "1-64 characters of [A-Za-z0-9._:-]", false);
  for (const [field, key, max] of COUNTS) v.range(f(field), input[key], 0, max);
  const timeZone = input.timeZone === "" ? "UTC" : canonicalTimeZone(input.timeZone);
  if (timeZone === undefined) v.add(f("time_zone"), "must be an IANA time zone such as Europe/Berlin, or empty for UTC");
  const spec: RetentionRuleSpec = {
    ...input,
    excludePinned: input.excludePinned ?? true,
    enabled: input.enabled ?? true,
    timeZone: timeZone ?? "UTC",
  };
  if (!hasKeepClause(spec) && spec.deleteOlderThanDays === 0) {
    v.add(prefix === "" ? "rule" : prefix.replace(/\.$/, ""), "needs at least one clause: a keep_* field or delete_older_than_days");
  }
  return spec;
}
