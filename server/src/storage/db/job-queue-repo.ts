import { randomUUID } from "node:crypto";
import { and, asc, eq, inArray, lte, sql, type SQL } from "drizzle-orm";
import type { BackoffPolicy, JobQueue, Lease, PendingLogLine } from "../../jobs/queue.js";
import { jobState } from "../../domain/audit/resource-states.js";
import { completionAudit } from "../../domain/jobs/completion-audit.js";
import { appendAuditTx, type Tx } from "./audit-repo.js";
import type { Db } from "./client.js";
import { toJob } from "./mappers.js";
import { jobLogs, jobs, type JobRow } from "./schema/index.js";
import { descNullsLast } from "./keyset.js";

/** now() + the backoff after `jobs.attempts` attempts: min(cap, base * 2^(n-1)) * [0.5, 1). */
function afterBackoff(p: BackoffPolicy): SQL {
  return sql`now() + least(${p.capMs}::float8, ${p.baseMs}::float8 * power(2, least(${jobs.attempts} - 1, 40)))
    * (0.5 + random() / 2) * interval '1 millisecond'`;
}

const leaseUntil = (leaseMs: number) => sql`now() + ${leaseMs}::float8 * interval '1 millisecond'`;
const held = (lease: Lease) => and(eq(jobs.id, lease.jobId), eq(jobs.leaseToken, lease.token), eq(jobs.state, "RUNNING"));
const noLease = { leaseOwner: null, leaseToken: null, leaseExpireTime: null } as const;

async function appendLogs(tx: Tx, jobId: string, attempt: number, lines: PendingLogLine[]): Promise<void> {
  if (lines.length) await tx.insert(jobLogs).values(lines.map((l) => ({ jobId, attempt, time: l.time, line: l.line })));
}

/**
 * Audits a store job's end in the transaction that ends it: a failure as "job.fail" (the job.failed
 * event), a success whose type has a completion audit (domain/jobs/completion-audit.ts) as that
 * action on the snapshot concerned, with the job and its result. System jobs belong to no store and
 * are not audited.
 */
async function auditEnds(tx: Tx, rows: JobRow[]): Promise<void> {
  for (const row of rows) {
    if (row.storeId === null) continue;
    const job = toJob(row);
    const ctx = { actor: "system:jobs", requestId: `job:${row.id}` };
    if (row.state === "FAILED") {
      await appendAuditTx(tx, ctx, { storeId: row.storeId, action: "job.fail", resourceType: "job", resourceId: row.id, before: null, after: { ...jobState(job), errors: job.errors } });
      continue;
    }
    const done = completionAudit(job);
    if (done) {
      const after = { ...jobState(job), snapshotId: done.snapshotId, result: job.result ?? null };
      await appendAuditTx(tx, ctx, { storeId: row.storeId, action: done.action, resourceType: "snapshot", resourceId: done.snapshotId, before: null, after });
    }
  }
}

/** JobQueue on PostgreSQL (jobs/queue.ts states the contract). Times are the database's clock. */
export function createJobQueueRepository(db: Db): JobQueue {
  /** Settles RUNNING jobs whose lease lapsed (see JobQueue.claim). */
  async function settleLapsed(backoff: BackoffPolicy): Promise<void> {
    const final = sql`(${jobs.cancelRequested} or ${jobs.attempts} >= ${jobs.maxAttempts})`;
    await db.transaction(async (tx) => {
      const settled = await tx
        .update(jobs)
        .set({
          state: sql`case when ${jobs.cancelRequested} then 'CANCELLED' when ${jobs.attempts} >= ${jobs.maxAttempts} then 'FAILED' else 'QUEUED' end`,
          endTime: sql`case when ${final} then now() else ${jobs.endTime} end`,
          runAfter: sql`case when ${final} then ${jobs.runAfter} else ${afterBackoff(backoff)} end`,
          errors: sql`case when ${jobs.cancelRequested} then ${jobs.errors} else ${jobs.errors} || jsonb_build_array(jsonb_build_object(
            'code', 'UNAVAILABLE',
            'message', 'attempt ' || ${jobs.attempts} || ' of ' || ${jobs.maxAttempts} || ': the worker stopped renewing its lease')) end`,
          ...noLease,
          updateTime: sql`now()`,
        })
        .where(and(eq(jobs.state, "RUNNING"), sql`${jobs.leaseExpireTime} < now()`))
        .returning();
      await auditEnds(tx, settled);
    });
  }

  /** In one transaction: the fenced update, then (if it matched) the attempt's log lines. */
  async function fenced(lease: Lease, set: Parameters<ReturnType<Db["update"]>["set"]>[0], lines: PendingLogLine[]) {
    return db.transaction(async (tx) => {
      const [row] = await tx.update(jobs).set(set).where(held(lease)).returning();
      if (row) await appendLogs(tx, lease.jobId, lease.attempt, lines);
      if (row) await auditEnds(tx, [row]);
      return row;
    });
  }

  return {
    async claim({ workerId, leaseMs, types, backoff }) {
      if (types.length === 0) return undefined;
      await settleLapsed(backoff);
      const token = randomUUID();
      const next = db
        .select({ id: jobs.id })
        .from(jobs)
        .where(and(eq(jobs.state, "QUEUED"), lte(jobs.runAfter, sql`now()`), inArray(jobs.type, types)))
        .orderBy(descNullsLast(jobs.priority), asc(jobs.createTime))
        .limit(1)
        .for("update", { skipLocked: true });
      const [row] = await db
        .update(jobs)
        .set({
          state: "RUNNING",
          leaseOwner: workerId,
          leaseToken: token,
          leaseExpireTime: leaseUntil(leaseMs),
          attempts: sql`${jobs.attempts} + 1`,
          startTime: sql`coalesce(${jobs.startTime}, now())`,
          updateTime: sql`now()`,
        })
        .where(inArray(jobs.id, next))
        .returning();
      return row && { job: toJob(row), lease: { jobId: row.id, token, attempt: row.attempts } };
    },

    async heartbeat(lease, { leaseMs, progressPercent, logLines }) {
      const changed = logLines.length ? sql`now()` : sql`case when ${jobs.progressPercent} <> ${progressPercent} then now() else ${jobs.updateTime} end`;
      const row = await fenced(lease, { leaseExpireTime: leaseUntil(leaseMs), progressPercent, updateTime: changed }, logLines);
      return row && { cancelRequested: row.cancelRequested };
    },

    async finish(lease, { state, result, errors, logLines }) {
      const row = await fenced(
        lease,
        {
          state,
          result: result ?? null,
          errors: sql`${jobs.errors} || ${JSON.stringify(errors)}::jsonb`,
          progressPercent: state === "SUCCEEDED" ? 100 : sql`${jobs.progressPercent}`,
          endTime: sql`now()`,
          updateTime: sql`now()`,
          ...noLease,
        },
        logLines,
      );
      return row !== undefined;
    },

    async park(lease, { result, logLines }) {
      const row = await fenced(lease, { state: "AWAITING_CONFIRMATION", result, updateTime: sql`now()`, ...noLease }, logLines);
      return row !== undefined;
    },

    async requeue(lease, { error, backoff, logLines }) {
      const row = await fenced(
        lease,
        {
          state: "QUEUED",
          runAfter: backoff ? afterBackoff(backoff) : sql`now()`,
          // An attempt cut short by a shutdown did not fail: it is not counted.
          attempts: backoff ? sql`${jobs.attempts}` : sql`${jobs.attempts} - 1`,
          ...(error ? { errors: sql`${jobs.errors} || ${JSON.stringify([error])}::jsonb` } : {}),
          updateTime: sql`now()`,
          ...noLease,
        },
        logLines,
      );
      return row !== undefined;
    },

    async nextDueInMs(types) {
      const [row] = await db.execute<{ ms: number | null }>(sql`
        select extract(epoch from (least(
          (select min(run_after) from jobs where state = 'QUEUED' and type in ${types.length ? types : [""]}),
          (select min(lease_expire_time) from jobs where state = 'RUNNING')
        ) - now())) * 1000 as ms`);
      return row?.ms == null ? undefined : Math.max(0, Number(row.ms));
    },
  };
}
