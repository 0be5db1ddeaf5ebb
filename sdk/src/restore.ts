/**
 * Typed wrappers of RestoreService: targets, restores (and waiting for them), rollbacks and
 * approvals. A restore is a job: `restoreAndWait` starts one and follows it to its end, or to the
 * state where it waits for a person (AWAITING_CONFIRMATION, AWAITING_APPROVAL).
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { JobState, type Job } from "../../gen/vellum/v1/job_pb.js";
import type { Restore, RestoreApproval, RestoreTarget } from "../../gen/vellum/v1/restore_pb.js";
import type {
  ListApprovalsRequestSchema,
  ListApprovalsResponse,
  ListRestoreTargetsRequestSchema,
  ListRestoreTargetsResponse,
  RegisterRestoreTargetRequestSchema,
  RestoreSnapshotRequestSchema,
  RollbackResourceRequestSchema,
  RollbackResourceResponse,
} from "../../gen/vellum/v1/restore_service_pb.js";
import type { CallOptions, VellumClient } from "./client.js";
import { paginate, type Paged } from "./paginate.js";

type Restores = Pick<VellumClient, "restore" | "jobs">;

/** Job states in which a restore stops until a person acts (confirm, approve, reject or cancel). */
export const WAITING_STATES: readonly JobState[] = [JobState.AWAITING_CONFIRMATION, JobState.AWAITING_APPROVAL];
const ENDED: readonly JobState[] = [JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED];

/** True when the job ended or waits for a person: following it further shows nothing new. */
export const isSettled = (job: Pick<Job, "state">) => ENDED.includes(job.state) || WAITING_STATES.includes(job.state);

/** Registers a target; the auth secret is write-only (`hasAuthSecret` tells it is set). */
export async function registerRestoreTarget(client: Restores, req: MessageInitShape<typeof RegisterRestoreTargetRequestSchema>, options: CallOptions = {}): Promise<RestoreTarget> {
  return (await client.restore.registerRestoreTarget(req, options)).target!;
}

/** The store's targets, page by page as consumed. */
export function listRestoreTargets(
  client: Restores,
  req: MessageInitShape<typeof ListRestoreTargetsRequestSchema>,
  options: CallOptions = {},
): Paged<RestoreTarget, ListRestoreTargetsResponse> {
  return paginate((r, o) => client.restore.listRestoreTargets(r, o), req, (p) => p.targets, options);
}

/** Starts a restore; the job may start QUEUED or AWAITING_APPROVAL (critical targets). */
export async function restoreSnapshot(client: Restores, req: MessageInitShape<typeof RestoreSnapshotRequestSchema>, options: CallOptions = {}): Promise<Job> {
  return (await client.restore.restoreSnapshot(req, options)).job!;
}

/**
 * Follows a restore job (WatchJob) until it ends or waits for a person, then returns the restore
 * (plan, applied digest, captured snapshot, log lines).
 */
export async function waitForRestore(client: Restores, req: { storeId: string; jobId: string }, options: CallOptions = {}): Promise<Restore> {
  // A waiting job's watch does not end by itself: the stream is cancelled once the job settled.
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  try {
    for await (const { job } of client.jobs.watchJob(req, { ...options, signal })) {
      if (job && isSettled(job)) {
        stop.abort();
        break;
      }
    }
  } catch (err) {
    if (!stop.signal.aborted) throw err;
  }
  return (await client.restore.getRestore(req, options)).restore!;
}

/** `restoreSnapshot` then `waitForRestore`. */
export async function restoreAndWait(client: Restores, req: MessageInitShape<typeof RestoreSnapshotRequestSchema> & { storeId: string }, options: CallOptions = {}): Promise<Restore> {
  const job = await restoreSnapshot(client, req, options);
  return waitForRestore(client, { storeId: req.storeId, jobId: job.jobId }, options);
}

/** Applies a previewed restore (AWAITING_CONFIRMATION); returns the job, queued again. */
export async function confirmRestore(client: Restores, req: { storeId: string; jobId: string }, options: CallOptions = {}): Promise<Job> {
  return (await client.restore.confirmRestore(req, options)).job!;
}

/** A restore's status, plan, applied digest and logs. */
export async function getRestore(client: Restores, req: { storeId: string; jobId: string }, options: CallOptions = {}): Promise<Restore> {
  return (await client.restore.getRestore(req, options)).restore!;
}

/** Restores a resource's earlier version (default: the one before the latest). */
export function rollbackResource(client: Restores, req: MessageInitShape<typeof RollbackResourceRequestSchema>, options: CallOptions = {}): Promise<RollbackResourceResponse> {
  return client.restore.rollbackResource(req, options);
}

/** Asks for approval to restore into a critical target. */
export async function requestRestoreApproval(
  client: Restores,
  req: { storeId: string; snapshotId: string; targetService: string; reason: string; initiatorId?: string },
  options: CallOptions = {},
): Promise<RestoreApproval> {
  return (await client.restore.requestRestoreApproval(req, options)).approval!;
}

/** Approves (needs snapshot:admin, and not the initiator or requester); a waiting restore is queued. */
export async function approveRestore(client: Restores, req: { storeId: string; approvalId: string; comment?: string }, options: CallOptions = {}): Promise<RestoreApproval> {
  return (await client.restore.approveRestore(req, options)).approval!;
}

/** Rejects with a comment; a waiting restore is cancelled. */
export async function rejectRestore(client: Restores, req: { storeId: string; approvalId: string; comment: string }, options: CallOptions = {}): Promise<RestoreApproval> {
  return (await client.restore.rejectRestore(req, options)).approval!;
}

/** Approvals, newest first, optionally of one state, page by page as consumed. */
export function listApprovals(
  client: Restores,
  req: MessageInitShape<typeof ListApprovalsRequestSchema>,
  options: CallOptions = {},
): Paged<RestoreApproval, ListApprovalsResponse> {
  return paginate((r, o) => client.restore.listApprovals(r, o), req, (p) => p.approvals, options);
}
