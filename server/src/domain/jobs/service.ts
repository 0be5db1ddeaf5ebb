import type { AuditContext } from "../audit/audit-context.js";
import { failedPrecondition, notFound } from "../errors.js";
import { decodePageToken, encodePageToken, pageSizeOf, parseTimeIdCursor } from "../paging.js";
import type { Clock, JobRepository } from "../ports.js";
import { Validator } from "../validate.js";
import { isTerminal, type Job, type JobFilter, type JobType } from "./types.js";

export interface JobUseCasesDeps {
  jobs: JobRepository;
  clock: Clock;
  newId: () => string;
  /** Called after a job is enqueued so a local runner can start it without waiting for a poll. */
  onEnqueued?: () => void;
  /** How often WatchJob re-reads the job, in ms. */
  watchIntervalMs?: number;
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

    async enqueue(storeId: string, type: JobType, opts: { snapshotId?: string; priority: number; actor: string; params?: Record<string, unknown>; audit: AuditContext }) {
      const v = new Validator();
      v.range("priority", opts.priority, 0, 9);
      v.throwIfAny();
      const job = await jobs.create({
        id: deps.newId(),
        storeId,
        type,
        priority: opts.priority === 0 ? 5 : opts.priority,
        snapshotId: opts.snapshotId,
        params: opts.params ?? {},
        createdBy: opts.actor,
        createTime: clock.now(),
      }, opts.audit);
      deps.onEnqueued?.();
      return job;
    },

    async list(filter: JobFilter, pageSize: number, pageToken: string) {
      const v = new Validator();
      v.storeId("store_id", filter.storeId);
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
