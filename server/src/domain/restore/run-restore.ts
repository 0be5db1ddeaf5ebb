import type { AuditContext } from "../audit/audit-context.js";
import { DomainError, isDomainError, statusName } from "../errors.js";
import type { Job, JobResult } from "../jobs/types.js";
import type { LineageRecorder } from "../lineage/types.js";
import type { Snapshot } from "../snapshots/types.js";
import { checkRestorable, needsApproval } from "./restores.js";
import type { CapturedState, RestoreApproval, RestoreParams, RestorePlan, RestoreSnapshotRef, RestoreTarget, RestoreTargetConnector } from "./types.js";

export interface RunRestoreDeps {
  snapshots: { get(storeId: string, snapshotId: string): Promise<Snapshot> };
  targets: { get(storeId: string, targetService: string): Promise<RestoreTarget> };
  approvals: { get(storeId: string, id: string): Promise<RestoreApproval> };
  connect: RestoreTargetConnector;
  /** A short-lived signed download URL of the snapshot's content (the HTTP download route). */
  contentUrl(snapshot: Snapshot, jobId: string, audit: AuditContext): Promise<{ url: string; expireTime: Date }>;
  /**
   * Stores a captured state as a snapshot of `resourceType`/`resourceId`; idempotent per
   * `idempotencyKey`, so a repeated attempt returns the first capture.
   */
  storeCapture(
    input: { storeId: string; resourceType: string; resourceId: string; fallbackType: string; state: Exclude<CapturedState, { notFound: true }>; jobId: string; idempotencyKey: string },
    audit: AuditContext,
    signal: AbortSignal,
  ): Promise<Snapshot>;
  lineage: LineageRecorder;
}

export interface RunRestoreContext {
  signal: AbortSignal;
  progress(percent: number): void;
  log(line: string): void;
}

/** What a restore job ended with, or parked with. */
export type RestoreOutcome = { ok: true; result: JobResult; awaitConfirmation?: boolean } | { ok: false; errors: { code: string; message: string }[]; result?: JobResult };

const refOf = (s: Snapshot): RestoreSnapshotRef => ({
  storeId: s.storeId,
  snapshotId: s.id,
  resourceType: s.resourceType,
  resourceId: s.resourceId,
  version: s.version,
  sha256: s.sha256,
  size: s.size,
  snapshotType: s.snapshotType,
});

const planDetails = (p: RestorePlan) => ({ summary: p.summary, changes: p.changes.map((c) => ({ ...c })), warnings: [...p.warnings] });

/**
 * One attempt of a restore job. DRY_RUN: plan, done. APPLY_WITH_PREVIEW before confirmation:
 * plan, park for confirmation. APPLY (or confirmed): capture the current state first when
 * preserve_current_version, then ApplyRestore with the restore's stable idempotency key, then
 * lineage. Every step is safe to repeat: the capture is idempotent per job, the target applies a
 * key once. Transient target trouble throws Unavailable (retried with backoff by the runner);
 * anything else ends the job with its code.
 */
export function createRunRestore(deps: RunRestoreDeps) {
  return async function runRestore(job: Job, params: RestoreParams, ctx: RunRestoreContext): Promise<RestoreOutcome> {
    const storeId = job.storeId!;
    const audit: AuditContext = { actor: job.createdBy, requestId: params.auditRequestId || `job:${job.id}` };
    const fail = (err: DomainError): RestoreOutcome => ({ ok: false, errors: [{ code: statusName(err.name), message: err.message }], result: job.result });
    let snapshot: Snapshot;
    let target: RestoreTarget;
    try {
      snapshot = await deps.snapshots.get(storeId, params.snapshotId);
      checkRestorable(snapshot);
      target = await deps.targets.get(storeId, params.targetService);
      if (needsApproval(target, params.mode)) {
        const approval = params.approvalId ? await deps.approvals.get(storeId, params.approvalId) : undefined;
        if (!approval || approval.state !== "APPROVED" || approval.jobId !== job.id) {
          throw new DomainError("PermissionDenied", `target ${target.targetService} is critical: this restore has no approved approval`, { reason: "APPROVAL_REQUIRED" });
        }
      }
    } catch (err) {
      if (isDomainError(err) && err.name !== "Unavailable") return fail(err);
      throw err;
    }

    const client = await deps.connect(storeId, target.targetService);
    try {
      const { url, expireTime } = await deps.contentUrl(snapshot, job.id, audit);
      const ref = refOf(snapshot);
      const base = { snapshot: ref, targetResourceId: params.targetResourceId, contentUrl: url, expireTime };
      const earlier = (job.result?.details ?? {}) as Record<string, unknown>;
      const details: Record<string, unknown> = {
        mode: params.mode,
        target_service: target.targetService,
        target_resource_id: params.targetResourceId,
        ...(earlier.plan ? { plan: earlier.plan } : {}),
      };

      if (params.mode === "DRY_RUN" || (params.mode === "APPLY_WITH_PREVIEW" && !params.confirmed)) {
        ctx.log(`planning restore of snapshot ${snapshot.id} into ${target.targetService}/${params.targetResourceId}`);
        const plan = await client.plan(base, ctx.signal);
        ctx.log(`plan: ${plan.summary}`);
        details.plan = planDetails(plan);
        if (params.mode === "DRY_RUN") return { ok: true, result: { details } };
        ctx.log("waiting for ConfirmRestore");
        return { ok: true, result: { details }, awaitConfirmation: true };
      }

      if (params.preserveCurrentVersion) {
        ctx.progress(10);
        const state = await client.capture({ targetResourceId: params.targetResourceId, resourceType: snapshot.resourceType }, ctx.signal);
        if (state.notFound) {
          ctx.log(`nothing to capture: ${params.targetResourceId} does not exist at ${target.targetService}`);
        } else {
          const captured = await deps.storeCapture(
            {
              storeId,
              resourceType: snapshot.resourceType,
              resourceId: params.targetResourceId,
              fallbackType: snapshot.snapshotType,
              state,
              jobId: job.id,
              idempotencyKey: `restore-capture-${job.id}`,
            },
            audit,
            ctx.signal,
          );
          const resource = { kind: "RESOURCE" as const, id: `${target.targetService}/${snapshot.resourceType}/${params.targetResourceId}` };
          await deps.lineage.record([
            { storeId, kind: "CAPTURED_FROM", from: resource, to: { kind: "SNAPSHOT", id: captured.id }, jobId: job.id, note: "pre-restore capture" },
            { storeId, kind: "PRODUCED_BY", from: { kind: "JOB", id: job.id }, to: { kind: "SNAPSHOT", id: captured.id }, jobId: job.id },
          ]);
          details.captured_snapshot_id = captured.id;
          ctx.log(`captured the current state as snapshot ${captured.id}`);
        }
      }

      ctx.progress(50);
      const idempotencyKey = params.requestKey || job.id;
      ctx.log(`applying snapshot ${snapshot.id} to ${target.targetService}/${params.targetResourceId}`);
      const { appliedDigest } = await client.apply({ ...base, idempotencyKey }, ctx.signal);
      details.applied_digest = appliedDigest;
      if (appliedDigest !== snapshot.sha256) ctx.log(`note: the target reports live state ${appliedDigest}, the snapshot is ${snapshot.sha256}`);
      await deps.lineage.record([
        {
          storeId,
          kind: "RESTORED_FROM",
          from: { kind: "SNAPSHOT", id: snapshot.id },
          to: { kind: "RESOURCE", id: `${target.targetService}/${snapshot.resourceType}/${params.targetResourceId}` },
          jobId: job.id,
          note: `restored into ${target.targetService}`,
        },
      ]);
      ctx.log(`applied; live digest ${appliedDigest}`);
      return { ok: true, result: { snapshotId: snapshot.id, details } };
    } catch (err) {
      if (isDomainError(err) && err.name !== "Unavailable" && err.name !== "Aborted") return fail(err);
      throw err;
    } finally {
      client.close();
    }
  };
}

