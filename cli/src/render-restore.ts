/** How `restore`, `rollback` and `approvals` print restores, targets and approvals. */
import { ApprovalState, JobState, RestoreChangeKind, RestoreMode, RestoreTargetProtocol, type Restore, type RestoreApproval, type RestoreTarget } from "@vellum/sdk";
import { enumName } from "./parse.js";

export function restoreDetails(r: Restore): [string, string][] {
  const j = r.job!;
  const plan = r.plan;
  return [
    ["restore", j.jobId],
    ["state", enumName(JobState, j.state)],
    ["mode", enumName(RestoreMode, r.mode)],
    ["snapshot", r.snapshotId],
    ["target", `${r.targetService}/${r.targetResourceId}`],
    ["plan", plan ? [plan.summary, ...plan.changes.map((c) => `  ${enumName(RestoreChangeKind, c.kind)} ${c.path}: ${c.summary}`)].join("\n") : ""],
    ["warnings", plan?.warnings.join("\n") ?? ""],
    ["applied digest", r.appliedDigest],
    ["captured snapshot", r.capturedSnapshotId],
    ["approval", r.approvalId],
    ["errors", j.errors.map((e) => `${e.code}: ${e.message}`).join("\n")],
    ["log", j.logLines.map((l) => l.line).join("\n")],
  ];
}

export const TARGET_HEAD = ["target", "resource type", "endpoint", "protocol", "timeout", "critical", "secret"];
export function targetRow(t: RestoreTarget): string[] {
  return [t.targetService, t.resourceType, t.endpoint, enumName(RestoreTargetProtocol, t.protocol), `${t.timeoutMs} ms`, t.critical ? "yes" : "no", t.hasAuthSecret ? "set" : ""];
}

export const APPROVAL_HEAD = ["approval", "state", "snapshot", "target", "initiator", "reason", "decided by", "job"];
export function approvalRow(a: RestoreApproval): string[] {
  return [a.approvalId, enumName(ApprovalState, a.state), a.snapshotId, a.targetService, a.initiatorId, a.reason, a.decidedBy, a.jobId];
}
