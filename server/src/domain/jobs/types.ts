/** Durable job model. */
export const JOB_TYPES = ["VERIFY_SNAPSHOT", "COMPARE_SNAPSHOTS", "CHECK_STORE", "RUN_RETENTION"] as const;
export type JobType = (typeof JOB_TYPES)[number];
export type JobState = "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLED";
export const TERMINAL_JOB_STATES: readonly JobState[] = ["SUCCEEDED", "FAILED", "CANCELLED"];

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

export interface Job {
  id: string;
  storeId: string;
  type: JobType;
  state: JobState;
  progressPercent: number;
  priority: number;
  snapshotId?: string;
  params: Record<string, unknown>;
  result?: JobResult;
  errors: JobError[];
  createdBy: string;
  attempts: number;
  cancelRequested: boolean;
  createTime: Date;
  startTime?: Date;
  endTime?: Date;
  updateTime: Date;
}

export interface NewJob {
  id: string;
  storeId: string;
  type: JobType;
  priority: number;
  snapshotId?: string;
  params: Record<string, unknown>;
  createdBy: string;
  createTime: Date;
}

export interface JobFilter {
  storeId: string;
  type?: JobType;
  state?: JobState;
}

export const isTerminal = (s: JobState) => TERMINAL_JOB_STATES.includes(s);
