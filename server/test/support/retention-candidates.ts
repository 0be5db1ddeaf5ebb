/** Rules and candidates for the pure retention tests (server/src/domain/retention/*.test.ts). */
import type { EvaluatedRule, RetentionCandidate } from "../../src/domain/retention/types.js";

/** A rule with every clause off, overridden by `over`. */
export function rule(over: Partial<EvaluatedRule> & { name: string }): EvaluatedRule {
  return {
    id: `id-${over.name}`,
    tag: "",
    resourceType: "",
    keepLatestN: 0,
    keepWithinDays: 0,
    keepDaily: 0,
    keepWeekly: 0,
    keepMonthly: 0,
    keepYearly: 0,
    deleteOlderThanDays: 0,
    excludePinned: true,
    enabled: true,
    timeZone: "UTC",
    ...over,
  };
}

/** An unprotected candidate, overridden by `over`. */
export function candidate(over: Partial<RetentionCandidate> & { id: string; createTime: Date }): RetentionCandidate {
  return {
    resourceType: "product",
    resourceId: "sku-1",
    version: 0,
    tags: [],
    size: 100,
    contentRef: `ref-${over.id}`,
    pinned: false,
    locked: false,
    held: false,
    liveShareIds: [],
    ...over,
  };
}
