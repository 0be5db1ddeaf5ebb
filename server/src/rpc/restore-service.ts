import type { ServiceImpl } from "@connectrpc/connect";
import { RestoreService, type RestoreSnapshotRequest } from "../../../gen/vellum/v1/restore_service_pb.js";
import type { RestoreWiring } from "../wiring/restore.js";
import { auditOf } from "./context.js";
import { jobToPb } from "./convert.js";
import { approvalStateFromPb, approvalToPb, protocolFromPb, restoreModeFromPb, restoreTargetToPb, restoreToPb } from "./restore-convert.js";

/** The fields RestoreSnapshot and RollbackResource share. */
const commonFields = (req: Omit<RestoreSnapshotRequest, "$typeName" | "snapshotId" | "restoreMode">) => ({
  storeId: req.storeId,
  targetService: req.targetService,
  targetResourceId: req.targetResourceId,
  actorId: req.actorId,
  preserveCurrentVersion: req.preserveCurrentVersion,
  idempotencyKey: req.idempotencyKey,
  approvalId: req.approvalId,
  reason: req.reason,
});

/** RestoreService: thin handlers over the restore, target and approval use-cases. */
export function createRestoreServiceImpl(deps: RestoreWiring): ServiceImpl<typeof RestoreService> {
  const { restoreTargets, restores, approvals } = deps;
  return {
    async registerRestoreTarget(req, ctx) {
      const target = await restoreTargets.register(
        {
          storeId: req.storeId,
          targetService: req.targetService,
          resourceType: req.resourceType,
          endpoint: req.endpoint,
          protocol: protocolFromPb(req.protocol),
          timeoutMs: req.timeoutMs,
          critical: req.critical,
          authHeaderName: req.authHeaderName,
          authSecret: req.authSecret,
        },
        auditOf(ctx),
      );
      return { target: restoreTargetToPb(target) };
    },
    async listRestoreTargets(req) {
      const page = await restoreTargets.list(req.storeId, req.pageSize, req.pageToken);
      return { targets: page.targets.map(restoreTargetToPb), nextPageToken: page.nextPageToken };
    },
    async updateRestoreTarget(req, ctx) {
      const target = await restoreTargets.update(
        req.storeId,
        req.targetService,
        {
          resourceType: req.resourceType,
          endpoint: req.endpoint,
          protocol: req.protocol === undefined ? undefined : protocolFromPb(req.protocol),
          timeoutMs: req.timeoutMs,
          critical: req.critical,
          authHeaderName: req.authHeaderName,
          authSecret: req.authSecret,
        },
        auditOf(ctx),
      );
      return { target: restoreTargetToPb(target) };
    },
    async deleteRestoreTarget(req, ctx) {
      await restoreTargets.delete(req.storeId, req.targetService, auditOf(ctx));
      return {};
    },
    async restoreSnapshot(req, ctx) {
      const job = await restores.restoreSnapshot(
        { ...commonFields(req), snapshotId: req.snapshotId, mode: restoreModeFromPb(req.restoreMode) },
        auditOf(ctx),
      );
      return { job: jobToPb(job) };
    },
    async confirmRestore(req, ctx) {
      return { job: jobToPb(await restores.confirm(req.storeId, req.jobId, auditOf(ctx))) };
    },
    async getRestore(req) {
      return { restore: restoreToPb(await restores.get(req.storeId, req.jobId)) };
    },
    async rollbackResource(req, ctx) {
      const { job, snapshotId } = await restores.rollback(
        { ...commonFields(req), resourceType: req.resourceType, resourceId: req.resourceId, toVersion: Number(req.toVersion) },
        auditOf(ctx),
      );
      return { job: jobToPb(job), snapshotId };
    },
    async requestRestoreApproval(req, ctx) {
      const approval = await approvals.request(
        { storeId: req.storeId, snapshotId: req.snapshotId, targetService: req.targetService, initiatorId: req.initiatorId, reason: req.reason },
        auditOf(ctx),
      );
      return { approval: approvalToPb(approval) };
    },
    async approveRestore(req, ctx) {
      return { approval: approvalToPb(await approvals.approve(req.storeId, req.approvalId, req.comment, auditOf(ctx))) };
    },
    async rejectRestore(req, ctx) {
      return { approval: approvalToPb(await approvals.reject(req.storeId, req.approvalId, req.comment, auditOf(ctx))) };
    },
    async listApprovals(req) {
      const page = await approvals.list({ storeId: req.storeId, state: approvalStateFromPb(req.state) }, req.pageSize, req.pageToken);
      return { approvals: page.approvals.map(approvalToPb), nextPageToken: page.nextPageToken };
    },
  };
}
