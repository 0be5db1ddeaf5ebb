import { isDomainError, statusName } from "../domain/errors.js";
import type { Job, JobError, JobResult, JobType } from "../domain/jobs/types.js";
import type { Logger } from "../lib/logger.js";
import type { JobQueue } from "../storage/db/job-repo.js";

/** What a job handler gets: the job, a cancellation signal, and progress/log reporting. */
export interface JobContext {
  job: Job;
  signal: AbortSignal;
  progress(percent: number): void;
  log(line: string): void;
}

/** Outcome of a handler: SUCCEEDED with a result, or FAILED with errors (and a partial result). */
export type JobOutcome = { ok: true; result: JobResult } | { ok: false; errors: JobError[]; result?: JobResult };

export type JobHandler = (ctx: JobContext) => Promise<JobOutcome>;

export interface JobRunnerDeps {
  queue: JobQueue;
  handlers: Record<JobType, JobHandler>;
  log: Logger;
  workerId: string;
  concurrency: number;
  leaseMs?: number;
  pollMs?: number;
  /** Attempts after which an unexpected error fails the job instead of requeueing it. */
  maxAttempts?: number;
}

/**
 * Polls Postgres for runnable jobs and runs up to `concurrency` at once. Leases are renewed while a
 * job runs, so a job whose process died is picked up again once its lease expires. Typed domain
 * errors fail a job at once; unexpected errors requeue it until `maxAttempts`.
 */
export function createJobRunner(deps: JobRunnerDeps) {
  const leaseMs = deps.leaseMs ?? 30_000;
  const pollMs = deps.pollMs ?? 250;
  const maxAttempts = deps.maxAttempts ?? 3;
  const running = new Map<string, { abort: AbortController; done: Promise<void> }>();
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;

  async function runOne(job: Job, abort: AbortController): Promise<void> {
    const logs: string[] = [];
    let pct = job.progressPercent;
    const log = deps.log.child({ jobId: job.id, jobType: job.type });
    const beat = async () => {
      const hb = await deps.queue.heartbeat(job.id, deps.workerId, leaseMs, pct).catch(() => undefined);
      if (!hb || hb.cancelRequested) abort.abort(hb ? "cancelled" : "lease lost");
    };
    const hbTimer = setInterval(beat, Math.min(1000, leaseMs / 3));
    const ctx: JobContext = {
      job,
      signal: abort.signal,
      progress: (p) => void (pct = Math.max(0, Math.min(99, Math.floor(p)))),
      log: (line) => void logs.push(line),
    };
    try {
      const outcome = await deps.handlers[job.type](ctx);
      clearInterval(hbTimer);
      if (abort.signal.aborted && abort.signal.reason === "cancelled") {
        await deps.queue.finish(job.id, deps.workerId, "CANCELLED", { logs }, []);
      } else if (outcome.ok) {
        await deps.queue.finish(job.id, deps.workerId, "SUCCEEDED", { ...outcome.result, logs: [...logs, ...(outcome.result.logs ?? [])] }, []);
      } else {
        await deps.queue.finish(job.id, deps.workerId, "FAILED", { ...outcome.result, logs }, outcome.errors);
      }
    } catch (err) {
      clearInterval(hbTimer);
      if (abort.signal.aborted && abort.signal.reason === "cancelled") {
        await deps.queue.finish(job.id, deps.workerId, "CANCELLED", { logs }, []);
      } else if (stopping) {
        await deps.queue.release(job.id, deps.workerId);
      } else if (isDomainError(err)) {
        await deps.queue.finish(job.id, deps.workerId, "FAILED", { logs }, [{ code: statusName(err.name), message: err.message }]);
      } else if (job.attempts >= maxAttempts) {
        log.error("job failed", { err });
        await deps.queue.finish(job.id, deps.workerId, "FAILED", { logs }, [{ code: "INTERNAL", message: "job failed unexpectedly" }]);
      } else {
        log.warn("job attempt failed; requeued", { err, attempt: job.attempts });
        await deps.queue.release(job.id, deps.workerId, { code: "UNAVAILABLE", message: `attempt ${job.attempts} failed; retrying` });
      }
    }
  }

  async function loop(): Promise<void> {
    while (!stopping && running.size < deps.concurrency) {
      let job: Job | undefined;
      try {
        job = await deps.queue.claim(deps.workerId, leaseMs);
      } catch (err) {
        deps.log.warn("job claim failed", { err });
        break;
      }
      if (!job) break;
      const id = job.id;
      const abort = new AbortController();
      const done = runOne(job, abort)
        .catch((err) => deps.log.error("job bookkeeping failed", { err, jobId: id }))
        .finally(() => running.delete(id));
      running.set(id, { abort, done });
    }
  }

  function schedule(): void {
    if (stopping) return;
    timer = setTimeout(async () => {
      await loop();
      schedule();
    }, pollMs);
  }

  return {
    start(): void {
      if (deps.concurrency > 0) schedule();
    },
    /** Nudges the runner to poll now (after a job was enqueued in this process). */
    poke(): void {
      if (!stopping) void loop();
    },
    /**
     * Stops claiming and waits up to `graceMs` for running jobs; then aborts the rest, which go back
     * to the queue for the next process.
     */
    async stop(graceMs = 10_000): Promise<void> {
      stopping = true;
      clearTimeout(timer);
      const all = Promise.all([...running.values()].map((r) => r.done));
      let t: NodeJS.Timeout | undefined;
      await Promise.race([all, new Promise((r) => (t = setTimeout(r, graceMs)))]);
      clearTimeout(t);
      for (const r of running.values()) r.abort.abort("shutdown");
      await all;
    },
    get active(): number {
      return running.size;
    },
  };
}

export type JobRunner = ReturnType<typeof createJobRunner>;
