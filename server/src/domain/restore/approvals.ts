import type { AuditContext } from "../audit/audit-context.js";
import { DomainError, failedPrecondition, notFound } from "../errors.js";
import type { Job } from "../jobs/types.js";
import { decodePageToken, encodePageToken, pageSizeOf, parseTimeIdCursor } from "../paging.js";
import type { Clock } from "../ports.js";
import type { Snapshot } from "../snapshots/types.js";
import { Validator } from "../validate.js";
import type { ApprovalRepository, ApprovalState, RestoreApproval, RestoreTarget } from "./types.js";

export const MAX_APPROVAL_TEXT = 1024;
export const ACTOR_ID_MAX = 256;

/** The job transitions a decision causes (JobUseCases.resume / cancel). */
export interface ApprovalJobs {
  get(storeId: string, jobId: string): Promise<Job>;
  resume(storeId: string, jobId: string, from: "AWAITING_APPROVAL", opts: { params?: Record<string, unknown>; action: string; reason: string; audit: AuditContext }): Promise<Job>;
  cancel(storeId: string, jobId: string, audit: AuditContext): Promise<Job>;
}

export interface ApprovalUseCasesDeps {
  approvals: ApprovalRepository;
  snapshots: { get(storeId: string, snapshotId: string): Promise<Snapshot> };
  targets: { get(storeId: string, targetService: string): Promise<RestoreTarget> };
  jobs: ApprovalJobs;
  clock: Clock;
  newId: () => string;
}

const selfApproval = () =>
  new DomainError("PermissionDenied", "the initiator or requester of a restore cannot decide its approval; another administrator must", { reason: "SELF_APPROVAL" });

/**
 * Approvals of restores into critical targets. The approver holds snapshot:admin (rpc/scopes.ts)
 * and is neither the initiator nor the requester. Approving queues the restore waiting for the
 * approval; rejecting cancels it. Every step is audited.
 */
export function createApprovalUseCases(deps: ApprovalUseCasesDeps) {
  const { approvals } = deps;

  async function get(storeId: string, id: string): Promise<RestoreApproval> {
    const v = new Validator();
    v.storeId("store_id", storeId);
    v.uuid("approval_id", id);
    v.throwIfAny();
    const a = await approvals.get(storeId, id.toLowerCase());
    if (!a) throw notFound("approval", id);
    return a;
  }

  /** Applies a decision to the waiting job; a job that no longer waits is left alone. */
  async function settleJob(a: RestoreApproval, audit: AuditContext): Promise<void> {
    if (!a.jobId) return;
    const job = await deps.jobs.get(a.storeId, a.jobId);
    if (job.state !== "AWAITING_APPROVAL") return;
    if (a.state === "APPROVED") {
      await deps.jobs.resume(a.storeId, a.jobId, "AWAITING_APPROVAL", { params: { approvalId: a.id }, action: "restore.approved", reason: "NOT_AWAITING_APPROVAL", audit });
    } else if (a.state === "REJECTED") {
      await deps.jobs.cancel(a.storeId, a.jobId, audit);
    }
  }

  async function decide(storeId: string, id: string, state: "APPROVED" | "REJECTED", comment: string, audit: AuditContext): Promise<RestoreApproval> {
    const a = await get(storeId, id);
    const v = new Validator();
    v.text("comment", comment, MAX_APPROVAL_TEXT, true);
    if (state === "REJECTED" && comment.trim() === "") v.add("comment", "is required: say why the restore is rejected");
    v.throwIfAny();
    if (audit.actor === a.initiatorId || audit.actor === a.requestedBy) throw selfApproval();
    if (a.state !== "PENDING") {
      // A repeated identical decision (a retried call) finishes what the first one started.
      if (a.state === state && a.decidedBy === audit.actor) {
        await settleJob(a, audit);
        return a;
      }
      throw failedPrecondition(`approval is already ${a.state}`, "APPROVAL_DECIDED");
    }
    const decided = await approvals.decide(storeId, a.id, { state, decidedBy: audit.actor, comment, now: deps.clock.now() }, audit);
    if (!decided) throw failedPrecondition("approval was decided meanwhile", "APPROVAL_DECIDED");
    await settleJob(decided, audit);
    return decided;
  }

  return {
    get,

    /** A PENDING approval to restore `snapshotId` into `targetService`. */
    async request(
      input: { storeId: string; snapshotId: string; targetService: string; initiatorId: string; reason: string; jobId?: string },
      audit: AuditContext,
    ): Promise<RestoreApproval> {
      const v = new Validator();
      v.storeId("store_id", input.storeId);
      v.uuid("snapshot_id", input.snapshotId);
      v.text("initiator_id", input.initiatorId, ACTOR_ID_MAX);
      v.text("reason", input.reason, MAX_APPROVAL_TEXT, true);
      if (input.reason.trim() === "") v.add("reason", "is required");
      v.throwIfAny();
      const snapshot = await deps.snapshots.get(input.storeId, input.snapshotId);
      const target = await deps.targets.get(input.storeId, input.targetService);
      return approvals.insert(
        {
          id: deps.newId(),
          storeId: input.storeId,
          snapshotId: snapshot.id,
          targetService: target.targetService,
          initiatorId: input.initiatorId || audit.actor,
          requestedBy: audit.actor,
          reason: input.reason,
          state: "PENDING",
          decidedBy: "",
          comment: "",
          jobId: input.jobId,
          createTime: deps.clock.now(),
        },
        audit,
      );
    },

    approve: (storeId: string, id: string, comment: string, audit: AuditContext) => decide(storeId, id, "APPROVED", comment, audit),
    reject: (storeId: string, id: string, comment: string, audit: AuditContext) => decide(storeId, id, "REJECTED", comment, audit),

    async list(filter: { storeId: string; state?: ApprovalState }, pageSize: number, pageToken: string) {
      const v = new Validator();
      v.storeId("store_id", filter.storeId);
      v.throwIfAny();
      const size = pageSizeOf(pageSize);
      const after = decodePageToken(pageToken, filter, parseTimeIdCursor);
      const page = await approvals.list(filter, size, after);
      return {
        approvals: page.items,
        nextPageToken: page.next ? encodePageToken({ t: page.next.createTime.toISOString(), id: page.next.id }, filter) : "",
      };
    },
  };
}

export type ApprovalUseCases = ReturnType<typeof createApprovalUseCases>;
