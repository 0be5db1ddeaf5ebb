import { isDomainError, statusName } from "../domain/errors.js";
import type { Job, JobError, JobResult } from "../domain/jobs/types.js";
import type { Logger } from "../lib/logger.js";
import type { AnyJobKind, JobContext, JobOutcome } from "./kind.js";
import type { BackoffPolicy, JobQueue, Lease, PendingLogLine } from "./queue.js";

/** Log lines kept per attempt (later ones are counted, not stored), and the longest line kept. */
export const JOB_LOG_MAX_LINES = 1_000;
export const JOB_LOG_MAX_LINE_CHARS = 2_000;

export interface AttemptDeps {
  job: Job;
  lease: Lease;
  /** Aborted with "cancelled", "lease lost" or "shutdown"; the handler sees it as its signal. */
  abort: AbortController;
  kinds: { get(type: string): AnyJobKind | undefined };
  queue: JobQueue;
  timing: { leaseMs: number; heartbeatMs: number; backoff: BackoffPolicy };
  log: Logger;
}

/** Errors worth another attempt: unexpected ones, and typed Unavailable / Aborted. */
const retryable = (err: unknown) => !isDomainError(err) || err.name === "Unavailable" || err.name === "Aborted";

/**
 * Runs one attempt of a claimed job and records how it ended. Every write names the attempt's
 * lease token: once another worker took the job over, this attempt can write nothing, its outcome
 * included.
 *
 * - A heartbeat renews the lease, persists progress and log lines, and picks up cancellation. A
 *   failed heartbeat is retried; only when the lease has surely lapsed is the handler aborted.
 * - Outcome returned: SUCCEEDED or FAILED (CANCELLED when cancellation was requested meanwhile).
 * - Thrown: cancelled -> CANCELLED; shutdown -> back to the queue, attempt not counted; typed
 *   domain error -> FAILED with its code; otherwise (retryable) back to the queue after the backoff,
 *   or FAILED once the job used its attempts.
 */
export async function runAttempt(deps: AttemptDeps): Promise<void> {
  const { job, lease, abort, queue, timing } = deps;
  const log = deps.log.child({ jobId: job.id, jobType: job.type, attempt: lease.attempt });
  let pending: PendingLogLine[] = [];
  const kept: string[] = [];
  let dropped = 0;
  let percent = job.progressPercent;
  let renewed = Date.now();
  const take = () => pending.splice(0);

  const beat = async () => {
    const lines = take();
    try {
      const hb = await queue.heartbeat(lease, { leaseMs: timing.leaseMs, progressPercent: percent, logLines: lines });
      if (!hb) abort.abort("lease lost");
      else {
        renewed = Date.now();
        if (hb.cancelRequested) abort.abort("cancelled");
      }
    } catch (err) {
      pending.unshift(...lines);
      if (Date.now() - renewed >= timing.leaseMs) abort.abort("lease lost");
      log.warn("job heartbeat failed", { err });
    }
  };
  let beating: Promise<void> | undefined;
  const hbTimer = setInterval(() => void (beating ??= beat().finally(() => (beating = undefined))), timing.heartbeatMs);

  const finish = async (state: "SUCCEEDED" | "FAILED" | "CANCELLED", errors: JobError[], result?: JobResult) => {
    const logs = dropped ? [...kept, `(${dropped} more log lines not kept)`] : kept;
    const ok = await queue.finish(lease, { state, errors, result: { ...result, logs: [...logs, ...(result?.logs ?? [])] }, logLines: take() });
    if (!ok) log.warn("job lease was taken over; this attempt's outcome is discarded", { state });
  };

  let outcome: JobOutcome | undefined;
  let failure: unknown;
  try {
    const kind = deps.kinds.get(job.type);
    if (!kind) throw new Error(`job kind ${job.type} is not registered`);
    let params: unknown;
    try {
      params = kind.parseParams(job.params);
    } catch (err) {
      outcome = { ok: false, errors: [{ code: "INVALID_ARGUMENT", message: `bad job params: ${isDomainError(err) ? err.message : "unreadable"}` }] };
    }
    if (!outcome) {
      const ctx: JobContext<unknown> = {
        job,
        storeId: job.storeId,
        params,
        signal: abort.signal,
        progress: (p) => void (percent = Math.max(0, Math.min(99, Math.floor(p)))),
        log: (line) => {
          if (kept.length >= JOB_LOG_MAX_LINES) return void dropped++;
          const text = line.length > JOB_LOG_MAX_LINE_CHARS ? `${line.slice(0, JOB_LOG_MAX_LINE_CHARS)}…` : line;
          kept.push(text);
          pending.push({ time: new Date(), line: text });
        },
      };
      outcome = await kind.handler(ctx);
    }
  } catch (err) {
    failure = err;
  } finally {
    clearInterval(hbTimer);
    await beating;
  }

  const reason = abort.signal.aborted ? abort.signal.reason : undefined;
  if (reason === "lease lost") {
    log.warn("job lease was lost; this attempt stops without recording an outcome");
  } else if (reason === "cancelled") {
    await finish("CANCELLED", []);
  } else if (outcome) {
    if (outcome.ok && outcome.awaitConfirmation) {
      if (!(await queue.park(lease, { result: outcome.result, logLines: take() }))) log.warn("job lease was taken over; this attempt's outcome is discarded");
    } else if (outcome.ok) await finish("SUCCEEDED", [], outcome.result);
    else await finish("FAILED", outcome.errors, outcome.result);
  } else if (reason === "shutdown") {
    await queue.requeue(lease, { logLines: take() });
  } else if (!retryable(failure)) {
    const e = failure as { name: Parameters<typeof statusName>[0]; message: string };
    await finish("FAILED", [{ code: statusName(e.name), message: e.message }]);
  } else {
    const error = {
      code: isDomainError(failure) ? statusName(failure.name) : "UNAVAILABLE",
      message: `attempt ${lease.attempt} of ${job.maxAttempts} failed${isDomainError(failure) ? `: ${failure.message}` : ""}`,
    };
    if (lease.attempt >= job.maxAttempts) {
      log.error("job failed on its last attempt", { err: failure });
      await finish("FAILED", [error]);
    } else {
      log.warn("job attempt failed; retrying after backoff", { err: failure });
      const ok = await queue.requeue(lease, { error, backoff: timing.backoff, logLines: take() });
      if (!ok) log.warn("job lease was taken over; this attempt's failure is discarded");
    }
  }
}
