import type { AuditContext } from "../audit/audit-context.js";
import type { SnapshotType } from "../snapshots/types.js";
import type { Policy, PolicyRun, PolicySpec, PolicyTrigger } from "./types.js";

export interface TimeIdCursor {
  createTime: Date;
  id: string;
}

/** Policy persistence; every change is audited in its transaction. */
export interface PolicyRepository {
  /** ALREADY_EXISTS for a taken name, FAILED_PRECONDITION (TOO_MANY_POLICIES) at `maxPolicies`. */
  insert(policy: Policy, maxPolicies: number, audit: AuditContext): Promise<Policy>;
  get(storeId: string, id: string): Promise<Policy | undefined>;
  list(storeId: string, pageSize: number, after?: TimeIdCursor): Promise<{ items: Policy[]; next?: TimeIdCursor }>;
  /** Applies `change` to the row under lock, bumping `version`; ABORTED on etag mismatch; undefined when absent. */
  update(
    storeId: string,
    id: string,
    opts: { etag?: string; now: Date; audit: AuditContext; change(current: Policy): PolicySpec },
  ): Promise<Policy | undefined>;
  /** False when absent; ABORTED on etag mismatch. Deletes the policy's runs. */
  delete(storeId: string, id: string, etag: string | undefined, audit: AuditContext): Promise<boolean>;
  /** Enabled policies with `trigger` in every store, oldest first, at most `limit`. */
  enabledWithTrigger(trigger: PolicyTrigger, limit: number): Promise<Policy[]>;
  /** Enabled policies of a store for a resource type and trigger. */
  matching(storeId: string, resourceType: string, trigger: PolicyTrigger): Promise<Policy[]>;
}

export interface PolicyRunRepository {
  /** Inserts the run unless one with its id exists (a repeated job attempt); returns the stored one. */
  ensure(run: PolicyRun): Promise<PolicyRun>;
  get(storeId: string, policyId: string, runId: string): Promise<PolicyRun | undefined>;
  list(storeId: string, policyId: string, pageSize: number, after?: TimeIdCursor): Promise<{ items: PolicyRun[]; next?: TimeIdCursor }>;
  update(id: string, patch: Partial<Pick<PolicyRun, "state" | "snapshotIds" | "unchangedResourceIds" | "errors" | "endTime">>): Promise<void>;
  /** Ends the run with `end` and, in the same transaction, audits `policy.run.completed` (the run after). */
  finish(run: PolicyRun, end: RunEnd, audit: AuditContext): Promise<PolicyRun>;
}

/** How a run ended. */
export type RunEnd = Pick<PolicyRun, "state" | "endTime"> & Partial<Pick<PolicyRun, "snapshotIds" | "unchangedResourceIds" | "errors">>;

/** Snapshot reads a capture needs. */
export interface PolicySnapshotQueries {
  /** SHA-256 of the newest ACTIVE snapshot of the resource, if any. */
  latestSha256(storeId: string, resourceType: string, resourceId: string): Promise<string | undefined>;
  /** The policy's ACTIVE snapshots of the resource beyond the newest `keep`, newest first. */
  surplus(storeId: string, policyId: string, resourceType: string, resourceId: string, keep: number): Promise<string[]>;
}

/** A resource's current state as its owning service returned it. */
export interface CapturedState {
  /** Undefined: JSON when the content parses, BLOB otherwise. */
  snapshotType?: SnapshotType;
  /** Lowercase hex SHA-256 the content must have, when the service gave one. */
  sha256?: string;
  /** The bytes (inline data or the fetched content URL), bounded by the client. */
  body: AsyncIterable<Uint8Array>;
  /** Inline data, when the service sent it inline (lets the type be sniffed). */
  inline?: Uint8Array;
}

/** Calls RestoreTargetService.CaptureCurrent of an owning service (through the outbound guard). */
export interface CaptureClient {
  /** The current state, or undefined when the service says the resource does not exist. */
  capture(baseUrl: string, req: { resourceType: string; resourceId: string }, signal: AbortSignal): Promise<CapturedState | undefined>;
}
