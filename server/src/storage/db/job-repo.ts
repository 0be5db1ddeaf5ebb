import { and, count, eq, inArray, sql } from "drizzle-orm";
import type { Job, JobError, JobResult, JobState } from "../../domain/jobs/types.js";
import type { JobRepository } from "../../domain/ports.js";
import type { Db } from "./client.js";
import { jobState } from "../../domain/audit/resource-states.js";
import { appendAuditTx } from "./audit-repo.js";
import { afterCursor, newestFirst } from "./keyset.js";
import { toJob } from "./mappers.js";
import { jobs } from "./schema/index.js";

/** Operations the job runner needs beyond the RPC-facing repository. */
export interface JobQueue {
  /** Claims the highest-priority runnable job (QUEUED, or RUNNING with an expired lease). */
  claim(workerId: string, leaseMs: number): Promise<Job | undefined>;
  /** Renews the lease and records progress; returns whether cancellation was requested, or
   * undefined if the worker no longer owns the job. */
  heartbeat(id: string, workerId: string, leaseMs: number, progressPercent?: number): Promise<{ cancelRequested: boolean } | undefined>;
  finish(id: string, workerId: string, state: JobState, result: JobResult | undefined, errors: JobError[]): Promise<void>;
  /** Gives a job back to the queue (after a transient failure or on shutdown). */
  release(id: string, workerId: string, error?: JobError): Promise<void>;
}

export function createJobRepository(db: Db): JobRepository & JobQueue {
  return {
    async create(j, audit) {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .insert(jobs)
          .values({ ...j, state: "QUEUED", updateTime: j.createTime })
          .returning();
        const job = toJob(row);
        await appendAuditTx(tx, audit, { storeId: j.storeId, action: "job.create", resourceType: "job", resourceId: j.id, before: null, after: jobState(job) });
        return job;
      });
    },

    async get(storeId, id) {
      const [row] = await db.select().from(jobs).where(and(eq(jobs.storeId, storeId), eq(jobs.id, id)));
      return row && toJob(row);
    },

    async list(filter, pageSize, after) {
      const base = and(
        eq(jobs.storeId, filter.storeId),
        filter.type ? eq(jobs.type, filter.type) : undefined,
        filter.state ? eq(jobs.state, filter.state) : undefined,
      )!;
      const rows = await db
        .select()
        .from(jobs)
        .where(and(base, afterCursor(jobs.createTime, jobs.id, after)))
        .orderBy(...newestFirst(jobs.createTime, jobs.id))
        .limit(pageSize + 1);
      const [{ n }] = await db.select({ n: count() }).from(jobs).where(base);
      const items = rows.slice(0, pageSize).map(toJob);
      const last = items[items.length - 1];
      return {
        items,
        next: rows.length > pageSize && last ? { createTime: last.createTime, id: last.id } : undefined,
        totalSize: Number(n),
      };
    },

    async requestCancel(storeId, id, now, audit) {
      // The row stays locked until commit: when the update matches nothing (unknown or finished
      // job), the locked row is the current one, so it is the answer without a second read.
      return db.transaction(async (tx) => {
        const [locked] = await tx.select().from(jobs).where(and(eq(jobs.storeId, storeId), eq(jobs.id, id))).for("update");
        const before = locked && toJob(locked);
        const [row] = await tx
          .update(jobs)
          .set({
            state: sql`case when ${jobs.state} = 'QUEUED' then 'CANCELLED' else ${jobs.state} end`,
            endTime: sql`case when ${jobs.state} = 'QUEUED' then ${now.toISOString()}::timestamptz else ${jobs.endTime} end`,
            cancelRequested: true,
            updateTime: now,
          })
          .where(and(eq(jobs.storeId, storeId), eq(jobs.id, id), inArray(jobs.state, ["QUEUED", "RUNNING"])))
          .returning();
        if (!row || !before) return before;
        const after = toJob(row);
        await appendAuditTx(tx, audit, { storeId, action: "job.cancel", resourceType: "job", resourceId: id, before: jobState(before), after: jobState(after) });
        return after;
      });
    },

    async claim(workerId, leaseMs) {
      // The update returns the claimed row it locked: no second read.
      const [row] = await db
        .update(jobs)
        .set({
          state: "RUNNING",
          leaseOwner: workerId,
          leaseExpireTime: sql`now() + (${leaseMs} * interval '1 millisecond')`,
          attempts: sql`${jobs.attempts} + 1`,
          startTime: sql`coalesce(${jobs.startTime}, now())`,
          updateTime: sql`now()`,
        })
        .where(
          eq(
            jobs.id,
            sql`(select id from jobs
              where state = 'QUEUED' or (state = 'RUNNING' and lease_expire_time < now())
              order by priority desc, create_time
              limit 1 for update skip locked)`,
          ),
        )
        .returning();
      return row && toJob(row);
    },

    async heartbeat(id, workerId, leaseMs, progressPercent) {
      const [row] = await db
        .update(jobs)
        .set({
          leaseExpireTime: sql`now() + (${leaseMs} * interval '1 millisecond')`,
          updateTime: sql`now()`,
          ...(progressPercent === undefined ? {} : { progressPercent }),
        })
        .where(and(eq(jobs.id, id), eq(jobs.leaseOwner, workerId), eq(jobs.state, "RUNNING")))
        .returning({ cancelRequested: jobs.cancelRequested });
      return row;
    },

    async finish(id, workerId, state, result, errors) {
      await db
        .update(jobs)
        .set({
          state,
          result: result ?? null,
          errors,
          progressPercent: state === "SUCCEEDED" ? 100 : sql`${jobs.progressPercent}`,
          endTime: sql`now()`,
          updateTime: sql`now()`,
          leaseOwner: null,
          leaseExpireTime: null,
        })
        .where(and(eq(jobs.id, id), eq(jobs.leaseOwner, workerId)));
    },

    async release(id, workerId, error) {
      await db
        .update(jobs)
        .set({
          state: "QUEUED",
          leaseOwner: null,
          leaseExpireTime: null,
          updateTime: sql`now()`,
          ...(error ? { errors: sql`${jobs.errors} || ${JSON.stringify([error])}::jsonb` } : {}),
        })
        .where(and(eq(jobs.id, id), eq(jobs.leaseOwner, workerId), eq(jobs.state, "RUNNING")));
    },
  };
}
