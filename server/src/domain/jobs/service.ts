import type { AuditContext } from "../audit/audit-context.js";
import { failedPrecondition, invalidField, notFound } from "../errors.js";
import { decodePageToken, encodePageToken, pageSizeOf, parseTimeIdCursor } from "../paging.js";
import type { Clock, JobRepository } from "../ports.js";
import { Validator } from "../validate.js";
import { isTerminal, type Job, type JobFilter, type JobKindLookup, type JobType, type WaitingJobState } from "./types.js";

export interface JobUseCasesDeps {
  jobs: JobRepository;
  /** The registered job kinds: enqueue checks a job's scope and params against its kind. */
  kinds: JobKindLookup;
  clock: Clock;
  newId: () => string;
  /** How often WatchJob re-reads the job, in ms. */
  watchIntervalMs?: number;
}

/** Longest dedupe key. */
export const MAX_DEDUPE_KEY_CHARS = 200;

export interface EnqueueOptions {
  snapshotId?: string;
  /** 1..9, higher runs first (FIFO within a priority); 0 or unset means 5. */
  priority?: number;
  /** Recorded as the job's creator. */
  actor: string;
  params?: Record<string, unknown>;
  /** Audit context of the request (store jobs); system jobs are not audited. */
  audit?: AuditContext;
  /** Not before this time (default: at once). */
  runAfter?: Date;
  /** While a QUEUED or RUNNING job has this key, enqueue returns that job instead of a new one. */
  dedupeKey?: string;
  /** Default QUEUED; AWAITING_APPROVAL creates a job no worker claims until `resume`. */
  state?: "QUEUED" | "AWAITING_APPROVAL";
}

function checkIds(storeId: string, jobId: string): void {
  const v = new Validator();
  v.storeId("store_id", storeId);
  v.uuid("job_id", jobId);
  v.throwIfAny();
}

export function createJobUseCases(deps: JobUseCasesDeps) {
  const { jobs, clock } = deps;

  async function get(storeId: string, jobId: string): Promise<Job> {
    checkIds(storeId, jobId);
    const job = await jobs.get(storeId, jobId.toLowerCase());
    if (!job) throw notFound("job", jobId);
    return job;
  }

  return {
    get,

    /**
     * Enqueues a job of a registered kind: a store job with `storeId`, a system job without.
     * INVALID_ARGUMENT for an unknown kind, a scope mismatch, bad params or priority.
     */
    async enqueue(storeId: string | undefined, type: JobType, opts: EnqueueOptions): Promise<Job> {
      const kind = deps.kinds.info(type);
      if (!kind) throw invalidField("type", `${type} is not a registered job kind`);
      const v = new Validator();
      if (kind.scope === "store") v.storeId("store_id", storeId ?? "");
      else if (storeId !== undefined) v.add("store_id", `must be unset: ${type} is a system job`);
      v.range("priority", opts.priority ?? 0, 0, 9);
      if (opts.dedupeKey !== undefined && (opts.dedupeKey.length === 0 || opts.dedupeKey.length > MAX_DEDUPE_KEY_CHARS)) {
        v.add("dedupe_key", `must be 1..${MAX_DEDUPE_KEY_CHARS} characters`);
      }
      v.throwIfAny();
      const now = clock.now();
      const { job } = await jobs.create(
        {
          id: deps.newId(),
          storeId,
          type,
          priority: opts.priority ? opts.priority : 5,
          snapshotId: opts.snapshotId,
          params: kind.parseParams(opts.params ?? {}),
          createdBy: opts.actor,
          createTime: now,
          maxAttempts: kind.maxAttempts,
          runAfter: opts.runAfter,
          dedupeKey: opts.dedupeKey,
          state: opts.state,
        },
        opts.audit,
      );
      return job;
    },

    /**
     * Queues a job waiting in `from` (an approval arrived, a preview was confirmed): QUEUED at once
     * with a fresh budget of attempts, `params` merged into its params. Audited as `action`.
     * NOT_FOUND for an unknown job; FAILED_PRECONDITION (`reason`) when it is not in `from`.
     */
    async resume(storeId: string, jobId: string, from: WaitingJobState, opts: { params?: Record<string, unknown>; action: string; reason: string; audit: AuditContext }): Promise<Job> {
      const job = await get(storeId, jobId);
      if (job.state !== from) throw failedPrecondition(`job is ${job.state}, not ${from}`, opts.reason);
      const after = await jobs.resume(storeId, job.id, from, { params: opts.params ?? {}, now: clock.now(), action: opts.action, audit: opts.audit });
      if (!after) throw failedPrecondition(`job is no longer ${from}`, opts.reason);
      return after;
    },

    async list(filter: JobFilter, pageSize: number, pageToken: string) {
      const v = new Validator();
      v.storeId("store_id", filter.storeId);
      if (filter.snapshotId) v.uuid("snapshot_id", filter.snapshotId);
      v.throwIfAny();
      const size = pageSizeOf(pageSize);
      const after = decodePageToken(pageToken, filter, parseTimeIdCursor);
      const page = await jobs.list(filter, size, after);
      return {
        jobs: page.items,
        nextPageToken: page.next ? encodePageToken({ t: page.next.createTime.toISOString(), id: page.next.id }, filter) : "",
      };
    },

    async cancel(storeId: string, jobId: string, audit: AuditContext): Promise<Job> {
      const job = await get(storeId, jobId);
      if (isTerminal(job.state)) throw failedPrecondition(`job already ended (${job.state})`, "JOB_ENDED");
      const after = await jobs.requestCancel(storeId, job.id, clock.now(), audit);
      if (!after) throw notFound("job", jobId);
      return after;
    },

    /** Yields the job now and after every change; ends after a terminal state or on abort. */
    async *watch(storeId: string, jobId: string, signal: AbortSignal): AsyncGenerator<Job> {
      let job = await get(storeId, jobId);
      yield job;
      let last = job.updateTime.getTime();
      while (!isTerminal(job.state) && !signal.aborted) {
        await sleep(deps.watchIntervalMs ?? 200, signal);
        if (signal.aborted) return;
        job = await get(storeId, jobId);
        if (job.updateTime.getTime() !== last || isTerminal(job.state)) {
          last = job.updateTime.getTime();
          yield job;
        }
      }
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

export type JobUseCases = ReturnType<typeof createJobUseCases>;
