/** Restores into owning services (RestoreTargetService) and the approvals critical targets need. */
import type { AuditContext } from "../audit/audit-context.js";
import type { SnapshotCursor as TimeIdCursor } from "../ports.js";

export type RestoreMode = "DRY_RUN" | "APPLY" | "APPLY_WITH_PREVIEW";
export type RestoreTargetProtocol = "GRPC" | "CONNECT";
export type ApprovalState = "PENDING" | "APPROVED" | "REJECTED";

/** A registered target. The secret never leaves the repository and the target client. */
export interface RestoreTarget {
  storeId: string;
  targetService: string;
  resourceType: string;
  endpoint: string;
  protocol: RestoreTargetProtocol;
  timeoutMs: number;
  critical: boolean;
  authHeaderName: string;
  hasAuthSecret: boolean;
  createdBy: string;
  createTime: Date;
  updateTime: Date;
}

/** Changes of UpdateRestoreTarget; `authSecret: ""` removes the secret. */
export type RestoreTargetChanges = Partial<Pick<RestoreTarget, "resourceType" | "endpoint" | "protocol" | "timeoutMs" | "critical" | "authHeaderName">> & {
  authSecret?: string;
};

export interface RestoreTargetRepository {
  /** ALREADY_EXISTS when the store has the target service. Audited. */
  insert(target: Omit<RestoreTarget, "hasAuthSecret">, authSecret: string, audit: AuditContext): Promise<RestoreTarget>;
  get(storeId: string, targetService: string): Promise<RestoreTarget | undefined>;
  /** The target with its secret in clear, for the target client only. */
  getWithSecret(storeId: string, targetService: string): Promise<{ target: RestoreTarget; authSecret: string } | undefined>;
  /** By target service, after `after`. */
  list(storeId: string, pageSize: number, after?: string): Promise<{ items: RestoreTarget[]; next?: string }>;
  update(storeId: string, targetService: string, changes: RestoreTargetChanges, now: Date, audit: AuditContext): Promise<RestoreTarget | undefined>;
  delete(storeId: string, targetService: string, audit: AuditContext): Promise<boolean>;
}

export interface RestoreApproval {
  id: string;
  storeId: string;
  snapshotId: string;
  targetService: string;
  initiatorId: string;
  requestedBy: string;
  reason: string;
  state: ApprovalState;
  decidedBy: string;
  comment: string;
  jobId?: string;
  createTime: Date;
  decideTime?: Date;
}

export interface ApprovalRepository {
  insert(a: RestoreApproval, audit: AuditContext): Promise<RestoreApproval>;
  get(storeId: string, id: string): Promise<RestoreApproval | undefined>;
  list(filter: { storeId: string; state?: ApprovalState }, pageSize: number, after?: TimeIdCursor): Promise<{ items: RestoreApproval[]; next?: TimeIdCursor }>;
  /**
   * PENDING -> `state`, in one transaction with `onDecided(approval)` (which queues or cancels the
   * waiting job). Undefined when the approval is no longer PENDING. Audited.
   */
  decide(
    storeId: string,
    id: string,
    decision: { state: "APPROVED" | "REJECTED"; decidedBy: string; comment: string; now: Date },
    audit: AuditContext,
  ): Promise<RestoreApproval | undefined>;
  /** Links the approval to a job; false when it already belongs to another job. */
  attachJob(storeId: string, id: string, jobId: string): Promise<boolean>;
}

/** What a restore job's params hold (jobs/kinds/restore-snapshot.ts parses them). */
export interface RestoreParams {
  snapshotId: string;
  targetService: string;
  targetResourceId: string;
  mode: RestoreMode;
  preserveCurrentVersion: boolean;
  /** The principal the restore acts for. */
  actorId: string;
  /** The caller's idempotency key, or "" (then the job id is the target's key). */
  requestKey: string;
  /** Set when the approval (critical targets) was given. */
  approvalId?: string;
  /** Set by ConfirmRestore on a previewed restore. */
  confirmed?: boolean;
  /** Audit context of the request. */
  auditRequestId: string;
}

/** One change a target plans. */
export interface RestoreChange {
  path: string;
  kind: "ADD" | "REMOVE" | "MODIFY" | "UNSPECIFIED";
  summary: string;
}

export interface RestorePlan {
  summary: string;
  changes: RestoreChange[];
  warnings: string[];
}

/** The snapshot a target is told about. */
export interface RestoreSnapshotRef {
  storeId: string;
  snapshotId: string;
  resourceType: string;
  resourceId: string;
  version: number;
  sha256: string;
  size: number;
  snapshotType: string;
}

/** The content of a CaptureCurrent answer. */
export type CapturedState =
  | { notFound: true }
  | { notFound: false; data: Uint8Array; snapshotType?: string; sha256?: string }
  | { notFound: false; contentUrl: string; snapshotType?: string; sha256?: string };

/**
 * Calls one target's RestoreTargetService. Transient trouble (UNAVAILABLE, DEADLINE_EXCEEDED, the
 * per-call timeout, a refused connection) throws Unavailable; a refusal by the target throws
 * FailedPrecondition with the target's message.
 */
export interface RestoreTargetClient {
  plan(req: { snapshot: RestoreSnapshotRef; targetResourceId: string; contentUrl: string; expireTime: Date }, signal: AbortSignal): Promise<RestorePlan>;
  apply(
    req: { snapshot: RestoreSnapshotRef; targetResourceId: string; contentUrl: string; expireTime: Date; idempotencyKey: string },
    signal: AbortSignal,
  ): Promise<{ appliedDigest: string }>;
  capture(req: { targetResourceId: string; resourceType: string }, signal: AbortSignal): Promise<CapturedState>;
  /** Releases the connection. */
  close(): void;
}

/** Opens a client for a target as registered now (the endpoint is re-checked at connect time). */
export type RestoreTargetConnector = (storeId: string, targetService: string) => Promise<RestoreTargetClient>;
