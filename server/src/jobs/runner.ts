import type { Logger } from "../lib/logger.js";
import type { JobKindRegistry } from "./kind.js";
import { runAttempt } from "./attempt.js";
import type { BackoffPolicy, JobQueue, JobSignals, Lease } from "./queue.js";
import type { Job } from "../domain/jobs/types.js";

/**
 * How long a claim lasts without renewal. It bounds how long a dead worker's job waits before
 * another worker takes it over, and must outlast any pause of a live worker (GC, I/O stall) many
 * times over: a worker that misses its renewals loses the job and cannot commit it.
 */
export const JOB_LEASE_MS = 30_000;
/**
 * Heartbeat period: renews the lease and persists progress and log lines. It also bounds how long
 * a running handler takes to see a cancellation when the NOTIFY that normally brings it at once
 * was missed.
 */
export const JOB_HEARTBEAT_MS = 500;
/** Safety-net poll for new jobs; LISTEN/NOTIFY normally wakes an idle runner at once. */
export const JOB_POLL_MS = 5_000;
/** Backoff between attempts (after a failure or a lost worker), capped, with jitter. */
export const JOB_BACKOFF: BackoffPolicy = { baseMs: 1_000, capMs: 5 * 60_000 };
/** Shortest idle wait: keeps a job that another worker is claiming right now from spinning this one. */
export const JOB_IDLE_MIN_WAIT_MS = 100;

export interface JobRunnerTiming {
  leaseMs: number;
  heartbeatMs: number;
  pollMs: number;
  backoff: BackoffPolicy;
}

export interface JobRunnerDeps {
  queue: JobQueue;
  kinds: Pick<JobKindRegistry, "get" | "types">;
  /** Cross-process wake-ups (LISTEN/NOTIFY); without them the runner only polls. */
  signals?: JobSignals;
  log: Logger;
  workerId: string;
  /** Jobs run at once in this process; 0 runs none (the runner never claims). */
  concurrency: number;
  /** Defaults: JOB_LEASE_MS, JOB_HEARTBEAT_MS, JOB_POLL_MS, JOB_BACKOFF. */
  timing?: Partial<JobRunnerTiming>;
}

interface Running {
  abort: AbortController;
  done: Promise<void>;
}

/**
 * Runs up to `concurrency` jobs at once. One claim loop at a time, and a slot is reserved before
 * each awaited claim, so neither the poll timer, nor NOTIFY wake-ups, nor `poke()` can exceed the
 * limit. Waits on NOTIFY, the earliest `run_after` or lease expiry, and the safety-net poll.
 * Attempt semantics (leases, fencing, retries, cancellation): attempt.ts.
 */
export function createJobRunner(deps: JobRunnerDeps) {
  const timing: JobRunnerTiming = {
    leaseMs: deps.timing?.leaseMs ?? JOB_LEASE_MS,
    heartbeatMs: deps.timing?.heartbeatMs ?? JOB_HEARTBEAT_MS,
    pollMs: deps.timing?.pollMs ?? JOB_POLL_MS,
    backoff: deps.timing?.backoff ?? JOB_BACKOFF,
  };
  const { queue, concurrency } = deps;
  const running = new Map<string, Running>();
  let reserved = 0;
  let stopping = false;
  let started = false;
  let looping = false;
  let wanted = false;
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => Promise<void>) | undefined;
  let subscribing: Promise<void> | undefined;

  function wake(): void {
    if (!started || stopping) return;
    wanted = true;
    if (!looping) void loop();
  }

  function launch(job: Job, lease: Lease): void {
    const abort = new AbortController();
    const done = runAttempt({ job, lease, abort, kinds: deps.kinds, queue, timing, log: deps.log })
      .catch((err) => deps.log.error("job bookkeeping failed", { err, jobId: job.id }))
      .finally(() => {
        running.delete(job.id);
        wake();
      });
    running.set(job.id, { abort, done });
  }

  /** Claims until the slots are full or nothing is claimable. */
  async function fill(): Promise<void> {
    while (!stopping && running.size + reserved < concurrency) {
      reserved++;
      let claimed;
      try {
        claimed = await queue.claim({ workerId: deps.workerId, leaseMs: timing.leaseMs, types: deps.kinds.types(), backoff: timing.backoff });
      } catch (err) {
        deps.log.warn("job claim failed", { err });
      }
      if (claimed && !stopping) launch(claimed.job, claimed.lease);
      else if (claimed) await queue.requeue(claimed.lease, { logLines: [] }).catch(() => undefined);
      reserved--;
      if (!claimed) return;
    }
  }

  async function idleDelay(): Promise<number> {
    if (running.size >= concurrency) return timing.pollMs;
    const due = await queue.nextDueInMs(deps.kinds.types()).catch(() => undefined);
    return due === undefined ? timing.pollMs : Math.min(timing.pollMs, Math.max(JOB_IDLE_MIN_WAIT_MS, due));
  }

  /** Subscribes to wake-ups; retried on every wake-up until it works (the poll covers meanwhile). */
  function subscribe(): Promise<void> {
    if (!deps.signals || unsubscribe || stopping) return Promise.resolve();
    return (subscribing ??= deps.signals
      .subscribe({ enqueued: wake, cancelled: (id) => running.get(id)?.abort.abort("cancelled") })
      .then((u) => {
        if (stopping) return void u().catch(() => undefined);
        unsubscribe = u;
      })
      .catch((err) => deps.log.warn("job wake-up channel unavailable; polling meanwhile", { err }))
      .finally(() => (subscribing = undefined)));
  }

  async function loop(): Promise<void> {
    looping = true;
    clearTimeout(timer);
    void subscribe();
    try {
      while (!stopping) {
        wanted = false;
        await fill();
        if (wanted) continue;
        const delay = await idleDelay();
        if (wanted) continue;
        if (!stopping) timer = setTimeout(wake, delay);
        break;
      }
    } finally {
      looping = false;
    }
  }

  return {
    /** Starts claiming (nothing when concurrency is 0) and listens for wake-ups. */
    async start(): Promise<void> {
      if (concurrency <= 0 || started) return;
      started = true;
      await subscribe();
      wake();
    },
    /** Claims now if a slot is free (after a job was enqueued in this process). */
    poke: wake,
    /**
     * Stops claiming and waits up to `graceMs` for running jobs; then aborts the rest, which go back
     * to the queue at once, their attempt not counted.
     */
    async stop(graceMs = 10_000): Promise<void> {
      stopping = true;
      clearTimeout(timer);
      await subscribing;
      await unsubscribe?.().catch(() => undefined);
      const all = Promise.all([...running.values()].map((r) => r.done));
      let t: NodeJS.Timeout | undefined;
      await Promise.race([all, new Promise((r) => (t = setTimeout(r, graceMs)))]);
      clearTimeout(t);
      for (const r of running.values()) r.abort.abort("shutdown");
      await all;
    },
    /** Jobs running in this process now. */
    get active(): number {
      return running.size;
    },
  };
}

export type JobRunner = ReturnType<typeof createJobRunner>;
