import { and, count, desc, eq, inArray, sql } from "drizzle-orm";
import type { AuditContext } from "../../domain/audit/audit-context.js";
import { WAITING_JOB_STATES, type Job, type NewJob } from "../../domain/jobs/types.js";
import type { JobRepository } from "../../domain/ports.js";
import type { Db } from "./client.js";
import { jobState } from "../../domain/audit/resource-states.js";
import { appendAuditTx, type Tx } from "./audit-repo.js";
import { notifyTx } from "./job-notify.js";
import { afterCursor, newestFirst } from "./keyset.js";
import { toJob, toJobLogLine } from "./mappers.js";
import { jobLogs, jobs } from "./schema/index.js";

/** Log lines returned with one job (the newest are kept when there are more). */
export const JOB_LOG_READ_LIMIT = 1000;

/**
 * Inserts a QUEUED (or AWAITING_APPROVAL) job inside `tx` and notifies idle workers at commit. Returns undefined, and
 * inserts nothing, when a unique key is taken: the dedupe key (held by a QUEUED or RUNNING job)
 * or the schedule slot.
 */
export async function insertJobTx(tx: Tx, j: NewJob, tick?: { schedule: string; scheduledTime: Date }): Promise<Job | undefined> {
  const [row] = await tx
    .insert(jobs)
    .values({
      id: j.id,
      storeId: j.storeId ?? null,
      type: j.type,
      state: j.state ?? "QUEUED",
      priority: j.priority,
      snapshotId: j.snapshotId ?? null,
      params: j.params,
      createdBy: j.createdBy,
      maxAttempts: j.maxAttempts,
      runAfter: j.runAfter ?? j.createTime,
      dedupeKey: j.dedupeKey ?? null,
      schedule: tick?.schedule ?? null,
      scheduledTime: tick?.scheduledTime ?? null,
      createTime: j.createTime,
      updateTime: j.createTime,
    })
    .onConflictDoNothing()
    .returning();
  if (!row) return undefined;
  if (row.state === "QUEUED") await notifyTx(tx, "enqueued");
  return toJob(row);
}

export function createJobRepository(db: Db): JobRepository {
  async function insert(j: NewJob, audit: AuditContext | undefined) {
    return db.transaction(async (tx) => {
      const job = await insertJobTx(tx, j);
      if (job && job.storeId && audit) {
        await appendAuditTx(tx, audit, { storeId: job.storeId, action: "job.create", resourceType: "job", resourceId: j.id, before: null, after: jobState(job) });
      }
      return job;
    });
  }

  return {
    async create(j, audit) {
      // A dedupe conflict returns the job holding the key; if that job ended in between, the key is
      // free again and the second insert wins.
      for (let i = 0; i < 2; i++) {
        const job = await insert(j, audit);
        if (job) return { job, created: true };
        if (!j.dedupeKey) break;
        const [held] = await db
          .select()
          .from(jobs)
          .where(and(eq(jobs.dedupeKey, j.dedupeKey), inArray(jobs.state, ["QUEUED", "RUNNING"])));
        if (held) return { job: toJob(held), created: false };
      }
      throw new Error(`job ${j.id} could not be inserted`);
    },

    async get(storeId, id) {
      const [row] = await db.select().from(jobs).where(and(eq(jobs.storeId, storeId), eq(jobs.id, id)));
      if (!row) return undefined;
      const lines = await db
        .select()
        .from(jobLogs)
        .where(eq(jobLogs.jobId, id))
        .orderBy(desc(jobLogs.id))
        .limit(JOB_LOG_READ_LIMIT);
      return { ...toJob(row), logLines: lines.reverse().map(toJobLogLine) };
    },

    async list(filter, pageSize, after) {
      const base = and(
        eq(jobs.storeId, filter.storeId),
        filter.type ? eq(jobs.type, filter.type) : undefined,
        filter.state ? eq(jobs.state, filter.state) : undefined,
        filter.snapshotId ? eq(jobs.snapshotId, filter.snapshotId) : undefined,
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
            state: sql`case when ${jobs.state} = 'RUNNING' then ${jobs.state} else 'CANCELLED' end`,
            endTime: sql`case when ${jobs.state} = 'RUNNING' then ${jobs.endTime} else ${now.toISOString()}::timestamptz end`,
            cancelRequested: true,
            updateTime: now,
          })
          .where(and(eq(jobs.storeId, storeId), eq(jobs.id, id), inArray(jobs.state, ["QUEUED", "RUNNING", ...WAITING_JOB_STATES])))
          .returning();
        if (!row || !before) return before;
        const after = toJob(row);
        if (after.state === "RUNNING") await notifyTx(tx, `cancel:${id}`);
        await appendAuditTx(tx, audit, { storeId, action: "job.cancel", resourceType: "job", resourceId: id, before: jobState(before), after: jobState(after) });
        return after;
      });
    },

    async resume(storeId, id, from, { params, now, action, audit }) {
      return db.transaction(async (tx) => {
        const [locked] = await tx.select().from(jobs).where(and(eq(jobs.storeId, storeId), eq(jobs.id, id), eq(jobs.state, from))).for("update");
        if (!locked) return undefined;
        const [row] = await tx
          .update(jobs)
          .set({ state: "QUEUED", attempts: 0, runAfter: now, params: sql`${jobs.params} || ${JSON.stringify(params)}::jsonb`, updateTime: now })
          .where(eq(jobs.id, id))
          .returning();
        const after = toJob(row);
        await notifyTx(tx, "enqueued");
        await appendAuditTx(tx, audit, { storeId, action, resourceType: "job", resourceId: id, before: jobState(toJob(locked)), after: jobState(after) });
        return after;
      });
    },
  };
}
