/** Durable job model. */

/**
 * Name of a registered job kind (server/src/jobs/kinds/), e.g. "VERIFY_SNAPSHOT". The set is open:
 * a capability registers its kinds at start-up, and the API maps the kinds it knows to JobType.
 */
export type JobType = string;
/**
 * QUEUED -> RUNNING -> SUCCEEDED | FAILED | CANCELLED. A job may also wait, unclaimable, in
 * AWAITING_APPROVAL (created so; an approval queues it) or AWAITING_CONFIRMATION (an attempt parked
 * it; a confirmation queues it). Cancelling a waiting job cancels it at once.
 */
export type JobState = "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLED" | "AWAITING_CONFIRMATION" | "AWAITING_APPROVAL";
/** States in which a job waits for a person (never claimed). */
export const WAITING_JOB_STATES = ["AWAITING_CONFIRMATION", "AWAITING_APPROVAL"] as const;
export type WaitingJobState = (typeof WAITING_JOB_STATES)[number];
export const TERMINAL_JOB_STATES: readonly JobState[] = ["SUCCEEDED", "FAILED", "CANCELLED"];

/** Jobs of a "store" kind belong to one store; jobs of a "system" kind belong to none. */
export type JobScope = "store" | "system";

export interface JobError {
  code: string;
  message: string;
  subject?: string;
}

export interface JobResult {
  snapshotId?: string;
  downloadUrl?: string;
  logs?: string[];
  details?: Record<string, unknown>;
}

/** One persisted log line of a job. */
export interface JobLogLine {
  time: Date;
  attempt: number;
  line: string;
}

export interface Job {
  id: string;
  /** Undefined for system jobs. */
  storeId?: string;
  type: JobType;
  state: JobState;
  progressPercent: number;
  priority: number;
  snapshotId?: string;
  params: Record<string, unknown>;
  result?: JobResult;
  errors: JobError[];
  createdBy: string;
  /** Claims so far (a crashed attempt counts). */
  attempts: number;
  maxAttempts: number;
  /** Earliest start of the next attempt (backoff, or a scheduled start). */
  runAfter: Date;
  dedupeKey?: string;
  /** The schedule and slot this job is a tick of (scheduled system jobs). */
  schedule?: string;
  scheduledTime?: Date;
  cancelRequested: boolean;
  createTime: Date;
  startTime?: Date;
  endTime?: Date;
  updateTime: Date;
  /** Log lines, oldest first; loaded by single-job reads only. */
  logLines?: JobLogLine[];
}

export interface NewJob {
  id: string;
  storeId?: string;
  type: JobType;
  priority: number;
  snapshotId?: string;
  params: Record<string, unknown>;
  createdBy: string;
  createTime: Date;
  maxAttempts: number;
  /** Not before this time; default: at once. */
  runAfter?: Date;
  /** Initial state: QUEUED (default), or AWAITING_APPROVAL for a job that waits for an approval. */
  state?: "QUEUED" | "AWAITING_APPROVAL";
  /** While a QUEUED or RUNNING job has this key, enqueueing another with it returns that job. */
  dedupeKey?: string;
}

export interface JobFilter {
  storeId: string;
  type?: JobType;
  state?: JobState;
  snapshotId?: string;
}

/** What enqueueing needs to know about a registered kind (the jobs/ registry provides it). */
export interface JobKindInfo {
  scope: JobScope;
  maxAttempts: number;
  /** Validates raw params; returns the params to store or throws INVALID_ARGUMENT. */
  parseParams(raw: Record<string, unknown>): Record<string, unknown>;
}

export interface JobKindLookup {
  info(type: JobType): JobKindInfo | undefined;
}

export const isTerminal = (s: JobState) => TERMINAL_JOB_STATES.includes(s);
