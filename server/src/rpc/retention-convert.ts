import { create } from "@bufbuild/protobuf";
import {
  RetentionClause as PbClause,
  RetentionDecisionKind,
  RetentionDecisionSchema,
  RetentionReasonKind,
  RetentionReasonSchema,
  RetentionRuleSchema,
  RetentionTotalsSchema,
  type RetentionRule as PbRule,
} from "../../../gen/vellum/v1/retention_pb.js";
import {
  StorageUsageSchema,
  UsageBreakdownEntrySchema,
  UsageFiguresSchema,
} from "../../../gen/vellum/v1/storage_pb.js";
import { SnapshotSummaryGroupSchema, SummaryGroupBy } from "../../../gen/vellum/v1/snapshot_service_pb.js";
import type { RuleSpecInput } from "../domain/retention/rule-spec.js";
import { specOf } from "../domain/retention/rule-use-cases.js";
import { ruleEtag, type Decision, type Reason, type RetentionRule, type RetentionTotals } from "../domain/retention/types.js";
import type { StorageUsage, SummaryDimension, SummaryGroup, UsageEntry, UsageFigures } from "../domain/usage/usage-use-cases.js";
import { ts } from "./convert.js";

/** Converters between generated retention and usage messages and domain types. */
export function ruleFromPb(r: PbRule | undefined): RuleSpecInput {
  return {
    name: r?.name ?? "",
    tag: r?.tag ?? "",
    resourceType: r?.resourceType ?? "",
    keepLatestN: r?.keepLatestN ?? 0,
    keepWithinDays: r?.keepWithinDays ?? 0,
    keepDaily: r?.keepDaily ?? 0,
    keepWeekly: r?.keepWeekly ?? 0,
    keepMonthly: r?.keepMonthly ?? 0,
    keepYearly: r?.keepYearly ?? 0,
    deleteOlderThanDays: r?.deleteOlderThanDays ?? 0,
    excludePinned: r?.excludePinned,
    enabled: r?.enabled,
    timeZone: r?.timeZone ?? "",
  };
}

export function ruleToPb(r: RetentionRule): PbRule {
  return create(RetentionRuleSchema, {
    ...specOf(r),
    ruleId: r.id,
    storeId: r.storeId,
    etag: ruleEtag(r),
    createTime: ts(r.createTime),
    updateTime: ts(r.updateTime),
    createdBy: r.createdBy,
  });
}

const reasonToPb = (r: Reason) =>
  create(RetentionReasonSchema, {
    kind: RetentionReasonKind[r.kind],
    ruleId: r.ruleId ?? "",
    ruleName: r.ruleName ?? "",
    clause: r.clause ? PbClause[r.clause] : PbClause.UNSPECIFIED,
    period: r.period ?? "",
    subjectId: r.subjectId ?? "",
    description: r.description,
  });

export function decisionToPb(d: Decision) {
  const c = d.candidate;
  return create(RetentionDecisionSchema, {
    snapshotId: c.id,
    resourceType: c.resourceType,
    resourceId: c.resourceId,
    version: BigInt(c.version),
    createTime: ts(c.createTime),
    size: BigInt(c.size),
    decision: RetentionDecisionKind[d.decision],
    reasons: d.reasons.map(reasonToPb),
  });
}

export const totalsToPb = (t: RetentionTotals) =>
  create(RetentionTotalsSchema, {
    consideredCount: BigInt(t.consideredCount),
    keepCount: BigInt(t.keepCount),
    deleteCount: BigInt(t.deleteCount),
    deleteLogicalBytes: BigInt(t.deleteLogicalBytes),
    reclaimableBytes: BigInt(t.reclaimableBytes),
  });

const figuresToPb = (f: UsageFigures) =>
  create(UsageFiguresSchema, {
    snapshotCount: BigInt(f.snapshotCount),
    logicalBytes: BigInt(f.logicalBytes),
    storedBytes: BigInt(f.storedBytes),
    dedupRatio: f.dedupRatio,
    pinnedBytes: BigInt(f.pinnedBytes),
    pendingReclaimBytes: BigInt(f.pendingReclaimBytes),
    deletedCount: BigInt(f.deletedCount),
  });

const entriesToPb = (es: UsageEntry[]) => es.map((e) => create(UsageBreakdownEntrySchema, { key: e.key, usage: figuresToPb(e.usage) }));

export const usageToPb = (u: StorageUsage) =>
  create(StorageUsageSchema, {
    storeId: u.storeId,
    total: figuresToPb(u.total),
    bySnapshotType: entriesToPb(u.bySnapshotType),
    byTag: entriesToPb(u.byTag),
    byResourceType: entriesToPb(u.byResourceType),
    truncated: u.truncated,
    indexedChunkBytes: BigInt(u.indexedChunkBytes),
    packBytes: BigInt(u.packBytes),
    computeTime: ts(u.computeTime),
  });

export const summaryGroupToPb = (g: SummaryGroup) =>
  create(SnapshotSummaryGroupSchema, {
    key: g.key,
    snapshotCount: BigInt(g.snapshotCount),
    bytesIngested: BigInt(g.bytesIngested),
    storedBytes: BigInt(g.storedBytes),
    pinnedCount: BigInt(g.pinnedCount),
    deletedCount: BigInt(g.deletedCount),
  });

export const summaryDimensionFromPb = (by: SummaryGroupBy): SummaryDimension =>
  by === SummaryGroupBy.UNSPECIFIED ? "RESOURCE_TYPE" : ((SummaryGroupBy[by] as SummaryDimension | undefined) ?? "RESOURCE_TYPE");
