import { create } from "@bufbuild/protobuf";
import {
  ApprovalState as PbApprovalState,
  RestoreApprovalSchema,
  RestoreMode as PbRestoreMode,
  RestoreSchema,
  RestoreTargetProtocol as PbProtocol,
  RestoreTargetSchema,
  type Restore as PbRestore,
  type RestoreApproval as PbRestoreApproval,
  type RestoreTarget as PbRestoreTarget,
} from "../../../gen/vellum/v1/restore_pb.js";
import { RestoreChangeKind, RestorePlanSchema } from "../../../gen/vellum/v1/restore_target_pb.js";
import type { Job } from "../domain/jobs/types.js";
import type { ApprovalState, RestoreApproval, RestoreMode, RestoreTarget, RestoreTargetProtocol } from "../domain/restore/types.js";
import { jobToPb, ts } from "./convert.js";

export const protocolFromPb = (p: PbProtocol): RestoreTargetProtocol | undefined => (p === PbProtocol.UNSPECIFIED ? undefined : (PbProtocol[p] as RestoreTargetProtocol | undefined));
export const restoreModeFromPb = (m: PbRestoreMode): RestoreMode | undefined => (m === PbRestoreMode.UNSPECIFIED ? undefined : (PbRestoreMode[m] as RestoreMode | undefined));
export const approvalStateFromPb = (s: PbApprovalState): ApprovalState | undefined =>
  s === PbApprovalState.UNSPECIFIED ? undefined : (PbApprovalState[s] as ApprovalState | undefined);

export const restoreTargetToPb = (t: RestoreTarget): PbRestoreTarget =>
  create(RestoreTargetSchema, {
    storeId: t.storeId,
    targetService: t.targetService,
    resourceType: t.resourceType,
    endpoint: t.endpoint,
    protocol: PbProtocol[t.protocol],
    timeoutMs: t.timeoutMs,
    critical: t.critical,
    authHeaderName: t.authHeaderName,
    hasAuthSecret: t.hasAuthSecret,
    createdBy: t.createdBy,
    createTime: ts(t.createTime),
    updateTime: ts(t.updateTime),
  });

export const approvalToPb = (a: RestoreApproval): PbRestoreApproval =>
  create(RestoreApprovalSchema, {
    approvalId: a.id,
    storeId: a.storeId,
    snapshotId: a.snapshotId,
    targetService: a.targetService,
    initiatorId: a.initiatorId,
    requestedBy: a.requestedBy,
    reason: a.reason,
    state: PbApprovalState[a.state],
    decidedBy: a.decidedBy,
    comment: a.comment,
    jobId: a.jobId ?? "",
    createTime: ts(a.createTime),
    decideTime: ts(a.decideTime),
  });

const str = (v: unknown): string => (typeof v === "string" ? v : "");

/** A restore job as RestoreService.GetRestore presents it: params and result details, read leniently. */
export function restoreToPb(job: Job): PbRestore {
  const p = job.params;
  const d = (job.result?.details ?? {}) as Record<string, unknown>;
  const plan = d.plan as { summary?: unknown; changes?: { path?: unknown; kind?: unknown; summary?: unknown }[]; warnings?: unknown[] } | undefined;
  return create(RestoreSchema, {
    job: jobToPb(job),
    snapshotId: str(p.snapshotId),
    targetService: str(p.targetService),
    targetResourceId: str(p.targetResourceId),
    mode: PbRestoreMode[str(p.mode) as RestoreMode] ?? PbRestoreMode.UNSPECIFIED,
    preserveCurrentVersion: p.preserveCurrentVersion === true,
    plan: plan
      ? create(RestorePlanSchema, {
          summary: str(plan.summary),
          changes: (plan.changes ?? []).map((c) => ({
            path: str(c.path),
            kind: RestoreChangeKind[str(c.kind) as keyof typeof RestoreChangeKind] ?? RestoreChangeKind.UNSPECIFIED,
            summary: str(c.summary),
          })),
          warnings: (plan.warnings ?? []).map(str),
        })
      : undefined,
    appliedDigest: str(d.applied_digest),
    capturedSnapshotId: str(d.captured_snapshot_id),
    approvalId: str(p.approvalId),
    actorId: str(p.actorId),
    idempotencyKey: str(p.requestKey) || job.id,
  });
}
