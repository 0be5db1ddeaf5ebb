import { canonicalTimeZone } from "../retention/periods.js";
import { checkTags, MAX_TTL_DAYS } from "../snapshots/spec.js";
import { RESOURCE_ID_RE, RESOURCE_TYPE_RE, Validator } from "../validate.js";
import { cronProblem } from "./cron.js";
import { POLICY_TRIGGERS, type PolicyScope, type PolicySpec } from "./types.js";

export const POLICY_NAME_RE = /^[A-Za-z0-9._-]{1,128}$/;
export const MAX_POLICIES = 100;
export const MAX_POLICY_RESOURCES = 1000;
export const MAX_KEEP_LATEST = 10_000;
export const DEFAULT_DEBOUNCE_MS = 5000;
export const MAX_DEBOUNCE_MS = 3_600_000;
const MAX_SCOPE_ENTRIES = 64;

/** A policy as it arrives from the transport; `enabled` unset means true, `debounceMs` unset the default. */
export type PolicySpecInput = Omit<PolicySpec, "enabled" | "debounceMs" | "trigger"> & {
  enabled?: boolean;
  debounceMs?: number;
  trigger?: PolicySpec["trigger"];
};

/** Fields UpdatePolicy may name in its mask (proto name -> spec key). */
export const POLICY_MASK_PATHS: Readonly<Record<string, keyof PolicySpec>> = {
  name: "name",
  resource_type: "resourceType",
  trigger: "trigger",
  cron_expression: "cronExpression",
  time_zone: "timeZone",
  debounce: "debounceMs",
  retention_days: "retentionDays",
  keep_latest_n: "keepLatestN",
  tags_to_include: "tagsToInclude",
  scope: "scope",
  enabled: "enabled",
  capture_target_url: "captureTargetUrl",
  resource_ids: "resourceIds",
};

function checkList(v: Validator, field: string, list: readonly string[], maxEntries: number, maxChars: number): void {
  if (list.length > maxEntries) v.add(field, `must have at most ${maxEntries} entries`);
  list.slice(0, maxEntries).forEach((s, i) => {
    if (!RESOURCE_ID_RE.test(s) || s.length > maxChars) v.add(`${field}[${i}]`, `must be 1-${maxChars} characters free of control characters`);
  });
}

const checkScope = (v: Validator, f: (n: string) => string, s: PolicyScope) => {
  checkList(v, f("scope.channels"), s.channels, MAX_SCOPE_ENTRIES, 128);
  checkList(v, f("scope.locales"), s.locales, MAX_SCOPE_ENTRIES, 64);
  checkList(v, f("scope.product_types"), s.productTypes, MAX_SCOPE_ENTRIES, 128);
};

/**
 * Validates a policy, collecting violations under `prefix` ("policy."), and returns it with
 * defaults (enabled true, time zone UTC, debounce 5 s). The capture URL's reachability is the
 * outbound guard's to check.
 */
export function validatePolicySpec(input: PolicySpecInput, v: Validator, prefix: string): PolicySpec {
  const f = (name: string) => prefix + name;
  v.pattern(f("name"), input.name, POLICY_NAME_RE, 128, "1-128 characters of [A-Za-z0-9._-]");
  v.pattern(f("resource_type"), input.resourceType, RESOURCE_TYPE_RE, 64, "1-64 characters of [A-Za-z0-9._:-]");
  if (!input.trigger || !POLICY_TRIGGERS.includes(input.trigger)) v.add(f("trigger"), "is required");
  const timeZone = input.timeZone === "" ? "UTC" : canonicalTimeZone(input.timeZone);
  if (timeZone === undefined) v.add(f("time_zone"), "must be an IANA time zone such as Europe/Berlin, or empty for UTC");
  if (input.trigger === "CRON") {
    if (input.cronExpression === "") v.add(f("cron_expression"), "is required for TRIGGER_CRON");
    else if (input.cronExpression.length > 256) v.add(f("cron_expression"), "must be at most 256 characters");
    else if (timeZone !== undefined) {
      const problem = cronProblem(input.cronExpression, timeZone);
      if (problem) v.add(f("cron_expression"), problem);
    }
  } else if (input.cronExpression !== "") v.add(f("cron_expression"), "must be empty unless trigger is TRIGGER_CRON");
  const debounceMs = input.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  v.range(f("debounce"), debounceMs, 0, MAX_DEBOUNCE_MS);
  v.range(f("retention_days"), input.retentionDays, 0, MAX_TTL_DAYS);
  v.range(f("keep_latest_n"), input.keepLatestN, 0, MAX_KEEP_LATEST);
  checkTags(v, f("tags_to_include"), input.tagsToInclude);
  checkScope(v, f, input.scope);
  checkList(v, f("resource_ids"), input.resourceIds, MAX_POLICY_RESOURCES, 256);
  v.maxLength(f("capture_target_url"), input.captureTargetUrl, 2048);
  return {
    ...input,
    trigger: input.trigger ?? "MANUAL",
    timeZone: timeZone ?? "UTC",
    debounceMs,
    enabled: input.enabled ?? true,
    tagsToInclude: [...new Set(input.tagsToInclude)],
    resourceIds: [...new Set(input.resourceIds)],
  };
}
