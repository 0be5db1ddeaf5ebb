/** Snapshot policies (proto/vellum/v1/policy.proto documents every field). */

export type PolicyTrigger = "CRON" | "ON_CHANGE" | "ON_PUBLISH" | "MANUAL";
export const POLICY_TRIGGERS: readonly PolicyTrigger[] = ["CRON", "ON_CHANGE", "ON_PUBLISH", "MANUAL"];

export interface PolicyScope {
  channels: string[];
  locales: string[];
  productTypes: string[];
}

/** What a client sets. */
export interface PolicySpec {
  name: string;
  resourceType: string;
  trigger: PolicyTrigger;
  /** CRON only; empty otherwise. */
  cronExpression: string;
  /** IANA zone of the cron expression. */
  timeZone: string;
  /** ON_CHANGE quiet period. */
  debounceMs: number;
  /** ttl_days of the snapshots the policy creates; 0 = never. */
  retentionDays: number;
  /** The policy's snapshots kept per resource; 0 = no limit. */
  keepLatestN: number;
  tagsToInclude: string[];
  scope: PolicyScope;
  enabled: boolean;
  /** Base URL of the owning service's RestoreTargetService; empty = push only. */
  captureTargetUrl: string;
  /** Resources captured by CRON and MANUAL runs. */
  resourceIds: string[];
}

export interface Policy extends PolicySpec {
  id: string;
  storeId: string;
  /** 1 on create, +1 per update. */
  version: number;
  createdBy: string;
  createTime: Date;
  updateTime: Date;
}

export type PolicyRunState = "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED";

export interface PolicyRunError {
  resourceId: string;
  /** gRPC code name. */
  code: string;
  message: string;
}

export interface PolicyRun {
  id: string;
  storeId: string;
  policyId: string;
  policyVersion: number;
  trigger: PolicyTrigger;
  state: PolicyRunState;
  /** CRON runs: the slot. */
  scheduledTime?: Date;
  resourceIds: string[];
  snapshotIds: string[];
  unchangedResourceIds: string[];
  errors: PolicyRunError[];
  jobId?: string;
  createTime: Date;
  endTime?: Date;
}

/** Label every policy snapshot carries: the policy's id. */
export const POLICY_LABEL = "vellum.policy.id";

/** Etag of a policy: stable for a version, opaque to clients. */
export const policyEtag = (p: Pick<Policy, "id" | "version">): string => `"${p.id.slice(-12)}-${p.version}"`;
