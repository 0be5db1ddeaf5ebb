import type { AuditContext } from "../audit/audit-context.js";
import { failedPrecondition, notFound } from "../errors.js";
import type { EnqueueOptions } from "../jobs/service.js";
import type { Job, WaitingJobState } from "../jobs/types.js";
import type { ResourceKey } from "../ports.js";
import type { Snapshot, Version } from "../snapshots/types.js";
import { IDEMPOTENCY_KEY_RE, Validator } from "../validate.js";
import { ACTOR_ID_MAX, MAX_APPROVAL_TEXT, type ApprovalUseCases } from "./approvals.js";
import { TARGET_SERVICE_RE } from "./targets.js";
import type { RestoreMode, RestoreParams, RestoreTarget } from "./types.js";

/** The job kind that runs restores (jobs/kinds/restore-snapshot.ts). */
export const RESTORE_JOB_TYPE = "RESTORE_SNAPSHOT";

export interface RestoreRequest {
  storeId: string;
  snapshotId: string;
  targetService: string;
  targetResourceId: string;
  mode?: RestoreMode;
  actorId: string;
  preserveCurrentVersion: boolean;
  idempotencyKey: string;
  approvalId: string;
  reason: string;
}

export interface RestoreUseCasesDeps {
  snapshots: { get(storeId: string, snapshotId: string): Promise<Snapshot> };
  versions: {
    get(key: ResourceKey, version: number): Promise<{ version: Version; snapshot: Snapshot }>;
    latest(key: ResourceKey): Promise<{ version: Version; snapshot: Snapshot }>;
  };
  targets: {
    get(storeId: string, targetService: string): Promise<RestoreTarget>;
    list(storeId: string, pageSize: number, pageToken: string): Promise<{ targets: RestoreTarget[]; nextPageToken: string }>;
  };
  approvals: Pick<ApprovalUseCases, "get" | "request">;
  /** Links an approval to its job; false when another job has it. */
  attachApproval(storeId: string, approvalId: string, jobId: string): Promise<boolean>;
  /** The store's restore job started with this idempotency key, if any. */
  findByRequestKey(storeId: string, key: string): Promise<Job | undefined>;
  jobs: {
    enqueue(storeId: string, type: string, opts: EnqueueOptions): Promise<Job>;
    get(storeId: string, jobId: string): Promise<Job>;
    cancel(storeId: string, jobId: string, audit: AuditContext): Promise<Job>;
    resume(storeId: string, jobId: string, from: WaitingJobState, opts: { params?: Record<string, unknown>; action: string; reason: string; audit: AuditContext }): Promise<Job>;
  };
}

/** Refuses snapshots a restore may not use: deleted, or locked (a lock freezes a snapshot). */
export function checkRestorable(s: Snapshot): void {
  if (s.state !== "ACTIVE") throw failedPrecondition("snapshot is deleted", "SNAPSHOT_DELETED");
  if (s.locked) throw failedPrecondition(`snapshot is locked${s.lock?.reason ? `: ${s.lock.reason}` : ""}`, "SNAPSHOT_LOCKED");
}

/** A restore needs an approval when it changes a critical target. */
export const needsApproval = (target: Pick<RestoreTarget, "critical">, mode: RestoreMode) => target.critical && mode !== "DRY_RUN";

/** RestoreSnapshot, ConfirmRestore, GetRestore and RollbackResource (the job does the work). */
export function createRestoreUseCases(deps: RestoreUseCasesDeps) {
  async function restoreSnapshot(req: RestoreRequest, audit: AuditContext): Promise<Job> {
    const v = new Validator();
    v.storeId("store_id", req.storeId);
    v.uuid("snapshot_id", req.snapshotId);
    v.pattern("target_service", req.targetService, TARGET_SERVICE_RE, 128, "1-128 characters of [A-Za-z0-9._-]");
    v.text("target_resource_id", req.targetResourceId, 512);
    if (!req.mode) v.add("restore_mode", "is required: DRY_RUN, APPLY or APPLY_WITH_PREVIEW");
    v.text("actor_id", req.actorId, ACTOR_ID_MAX);
    if (req.idempotencyKey && !IDEMPOTENCY_KEY_RE.test(req.idempotencyKey)) v.add("idempotency_key", "must be 1-128 printable ASCII characters");
    if (req.approvalId) v.uuid("approval_id", req.approvalId);
    v.text("reason", req.reason, MAX_APPROVAL_TEXT, true);
    v.throwIfAny();
    const mode = req.mode!;
    if (req.idempotencyKey) {
      const earlier = await deps.findByRequestKey(req.storeId, req.idempotencyKey);
      if (earlier) return earlier;
    }
    const snapshot = await deps.snapshots.get(req.storeId, req.snapshotId);
    checkRestorable(snapshot);
    const target = await deps.targets.get(req.storeId, req.targetService);
    if (target.resourceType !== snapshot.resourceType) {
      throw failedPrecondition(`target ${target.targetService} restores ${target.resourceType}, not ${snapshot.resourceType}`, "RESOURCE_TYPE_MISMATCH");
    }
    const actorId = req.actorId || audit.actor;

    let approvalId: string | undefined;
    let approved = false;
    if (needsApproval(target, mode)) {
      if (req.approvalId) {
        const a = await deps.approvals.get(req.storeId, req.approvalId);
        if (a.snapshotId !== snapshot.id || a.targetService !== target.targetService) {
          throw failedPrecondition("approval is for another snapshot or target", "APPROVAL_MISMATCH");
        }
        if (a.state === "REJECTED") throw failedPrecondition("approval was rejected", "APPROVAL_REJECTED");
        if (a.jobId) throw failedPrecondition(`approval is already used by job ${a.jobId}`, "APPROVAL_USED");
        approvalId = a.id;
        approved = a.state === "APPROVED";
      } else {
        const reason = req.reason.trim() || `restore of snapshot ${snapshot.id} into ${target.targetService}`;
        approvalId = (await deps.approvals.request({ storeId: req.storeId, snapshotId: snapshot.id, targetService: target.targetService, initiatorId: actorId, reason }, audit)).id;
      }
    }

    const params: RestoreParams = {
      snapshotId: snapshot.id,
      targetService: target.targetService,
      targetResourceId: req.targetResourceId || snapshot.resourceId,
      mode,
      preserveCurrentVersion: req.preserveCurrentVersion,
      actorId,
      requestKey: req.idempotencyKey,
      ...(approved ? { approvalId } : {}),
      auditRequestId: audit.requestId,
    };
    const job = await deps.jobs.enqueue(req.storeId, RESTORE_JOB_TYPE, {
      snapshotId: snapshot.id,
      actor: audit.actor,
      params: params as unknown as Record<string, unknown>,
      audit,
      // A restore with an approval starts waiting even when it is already approved: a worker checks
      // that the approval names the job, so the job may be claimed only once it is attached below.
      state: approvalId ? "AWAITING_APPROVAL" : "QUEUED",
      dedupeKey: req.idempotencyKey ? `restore:${req.storeId}:${req.idempotencyKey}` : undefined,
    });
    if (approvalId && !(await deps.attachApproval(req.storeId, approvalId, job.id))) {
      await deps.jobs.cancel(req.storeId, job.id, audit);
      throw failedPrecondition("approval was used by another restore meanwhile", "APPROVAL_USED");
    }
    if (approvalId) {
      // An approval given ahead, or a decision taken between the enqueue and the attach (which found
      // no job to settle): settle it now.
      const a = await deps.approvals.get(req.storeId, approvalId);
      const now = await deps.jobs.get(req.storeId, job.id);
      if (now.state === "AWAITING_APPROVAL" && a.state === "APPROVED") {
        const resumed = await deps.jobs
          .resume(req.storeId, job.id, "AWAITING_APPROVAL", { params: { approvalId }, action: "restore.approved", reason: "NOT_AWAITING_APPROVAL", audit })
          .catch(() => undefined); // the decision settled it first
        return resumed ?? deps.jobs.get(req.storeId, job.id);
      }
      if (now.state === "AWAITING_APPROVAL" && a.state === "REJECTED") return deps.jobs.cancel(req.storeId, job.id, audit);
    }
    return job;
  }

  async function getRestoreJob(storeId: string, jobId: string): Promise<Job> {
    const job = await deps.jobs.get(storeId, jobId);
    if (job.type !== RESTORE_JOB_TYPE) throw notFound("restore", jobId);
    return job;
  }

  return {
    restoreSnapshot,
    get: getRestoreJob,

    async confirm(storeId: string, jobId: string, audit: AuditContext): Promise<Job> {
      await getRestoreJob(storeId, jobId);
      return deps.jobs.resume(storeId, jobId, "AWAITING_CONFIRMATION", { params: { confirmed: true }, action: "restore.confirm", reason: "NOT_AWAITING_CONFIRMATION", audit });
    },

    /** Restores version `toVersion` (0: the one before the latest) of a resource, in mode APPLY. */
    async rollback(
      req: Omit<RestoreRequest, "snapshotId" | "mode" | "targetService"> & { resourceType: string; resourceId: string; toVersion: number; targetService: string },
      audit: AuditContext,
    ): Promise<{ job: Job; snapshotId: string }> {
      const key = { storeId: req.storeId, resourceType: req.resourceType, resourceId: req.resourceId };
      const v = new Validator();
      if (!Number.isSafeInteger(req.toVersion) || req.toVersion < 0) v.add("to_version", "must be 0 (the version before the latest) or a version number");
      v.throwIfAny();
      let toVersion = req.toVersion;
      if (toVersion === 0) {
        const latest = await deps.versions.latest(key);
        if (latest.version.version < 2) throw failedPrecondition(`${req.resourceType}/${req.resourceId} has no earlier version`, "NO_EARLIER_VERSION");
        toVersion = latest.version.version - 1;
      }
      const { snapshot } = await deps.versions.get(key, toVersion);
      let targetService = req.targetService;
      if (!targetService) {
        const { targets } = await deps.targets.list(req.storeId, 1000, "");
        const matching = targets.filter((t) => t.resourceType === req.resourceType);
        if (matching.length !== 1) {
          throw failedPrecondition(`${matching.length} targets restore ${req.resourceType}: name target_service`, "TARGET_AMBIGUOUS");
        }
        targetService = matching[0].targetService;
      }
      const job = await restoreSnapshot(
        { ...req, snapshotId: snapshot.id, targetService, targetResourceId: req.targetResourceId || req.resourceId, mode: "APPLY" },
        audit,
      );
      return { job, snapshotId: snapshot.id };
    },
  };
}

export type RestoreUseCases = ReturnType<typeof createRestoreUseCases>;
