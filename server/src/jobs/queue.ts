import type { Job, JobError, JobResult, NewJob } from "../domain/jobs/types.js";

/**
 * Ports of the job runner and scheduler. storage/db implements them on PostgreSQL
 * (job-queue-repo.ts, job-schedule-repo.ts, job-notify.ts).
 */

/** Retry delay after attempt n: min(capMs, baseMs * 2^(n-1)), times a random factor in [0.5, 1]. */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

/** One attempt's hold on a job. Every write of the attempt names the token (fencing). */
export interface Lease {
  jobId: string;
  token: string;
  /** The attempt number (attempts after the claim). */
  attempt: number;
}

/** A line a handler logged, not yet persisted. */
export interface PendingLogLine {
  time: Date;
  line: string;
}

export interface JobQueue {
  /**
   * First settles RUNNING jobs whose lease lapsed (their worker died or stalled): CANCELLED if
   * cancellation was requested, FAILED once they used `max_attempts`, otherwise QUEUED again after
   * `backoff`. Then claims the highest-priority, oldest QUEUED job of one of `types` whose
   * `run_after` has passed: RUNNING, attempts + 1, a new lease token and lease.
   */
  claim(opts: { workerId: string; leaseMs: number; types: string[]; backoff: BackoffPolicy }): Promise<{ job: Job; lease: Lease } | undefined>;
  /**
   * Renews the lease, records progress and appends log lines. Undefined when the lease is no
   * longer this attempt's (taken over, or the job ended).
   */
  heartbeat(lease: Lease, update: { leaseMs: number; progressPercent: number; logLines: PendingLogLine[] }): Promise<{ cancelRequested: boolean } | undefined>;
  /** Ends the job in a terminal state. False, and nothing written, when the lease is not this attempt's. */
  finish(
    lease: Lease,
    end: { state: "SUCCEEDED" | "FAILED" | "CANCELLED"; result?: JobResult; errors: JobError[]; logLines: PendingLogLine[] },
  ): Promise<boolean>;
  /**
   * Parks the job in AWAITING_CONFIRMATION with `result` (not an end: no end time); only a
   * confirmation queues it again. False when the lease is not this attempt's.
   */
  park(lease: Lease, opts: { result: JobResult; logLines: PendingLogLine[] }): Promise<boolean>;
  /**
   * Gives the job back to the queue. With `backoff`, after a failed attempt: `error` is recorded
   * and the next attempt waits. Without (shutdown), it is claimable at once and the attempt is not
   * counted. False when the lease is not this attempt's.
   */
  requeue(lease: Lease, opts: { error?: JobError; backoff?: BackoffPolicy; logLines: PendingLogLine[] }): Promise<boolean>;
  /** Milliseconds until a job of `types` becomes claimable or a lease lapses (0 if already), if any is pending. */
  nextDueInMs(types: string[]): Promise<number | undefined>;
}

/** Cross-process wake-ups: a job was enqueued somewhere, or a job's cancellation was requested. */
export interface JobSignals {
  /**
   * Subscribes. `enqueued` is also called whenever the channel is (re)established, since
   * notifications may have been missed while it was down. Resolves with an unsubscribe.
   */
  subscribe(listener: { enqueued(): void; cancelled(jobId: string): void }): Promise<() => Promise<void>>;
}

export interface ScheduleStore {
  /** Creates the schedule's row at `slot` unless it exists, so a new schedule first fires at its next slot. */
  ensure(name: string, slot: Date): Promise<void>;
  /**
   * In one transaction: if the schedule's last slot is before `slot`, moves it to `slot` and
   * inserts `job` as the tick (name, slot). Returns the job, or undefined when that slot (or a
   * later one) was already taken, by this process or another, or `job.dedupeKey` is held.
   */
  fire(name: string, slot: Date, job: NewJob): Promise<Job | undefined>;
}
