import { and, eq, sql } from "drizzle-orm";
import type { PolicyRunRepository, PolicySnapshotQueries } from "../../domain/policies/ports.js";
import { POLICY_LABEL, type PolicyRun, type PolicyRunState, type PolicyTrigger } from "../../domain/policies/types.js";
import { appendAuditTx } from "./audit-repo.js";
import type { Db } from "./client.js";
import { afterCursor, newestFirst } from "./keyset.js";
import { jobs, policyRuns, snapshots, type PolicyRunRow } from "./schema/index.js";

export const toPolicyRun = (r: PolicyRunRow): PolicyRun => ({
  ...r,
  trigger: r.trigger as PolicyTrigger,
  state: r.state as PolicyRunState,
  scheduledTime: r.scheduledTime ?? undefined,
  jobId: r.jobId ?? undefined,
  endTime: r.endTime ?? undefined,
});

export function createPolicyRunRepository(db: Db): PolicyRunRepository {
  return {
    async ensure(run) {
      await db
        .insert(policyRuns)
        .values({ ...run, scheduledTime: run.scheduledTime ?? null, jobId: run.jobId ?? null, endTime: run.endTime ?? null })
        .onConflictDoNothing();
      const [row] = await db.select().from(policyRuns).where(eq(policyRuns.id, run.id));
      return toPolicyRun(row);
    },

    async get(storeId, policyId, runId) {
      const [row] = await db
        .select()
        .from(policyRuns)
        .where(and(eq(policyRuns.storeId, storeId), eq(policyRuns.policyId, policyId), eq(policyRuns.id, runId)));
      return row && toPolicyRun(row);
    },

    async list(storeId, policyId, pageSize, after) {
      const rows = await db
        .select()
        .from(policyRuns)
        .where(and(eq(policyRuns.storeId, storeId), eq(policyRuns.policyId, policyId), afterCursor(policyRuns.createTime, policyRuns.id, after)))
        .orderBy(...newestFirst(policyRuns.createTime, policyRuns.id))
        .limit(pageSize + 1);
      const items = rows.slice(0, pageSize).map(toPolicyRun);
      const last = items[items.length - 1];
      return { items, next: rows.length > pageSize && last ? { createTime: last.createTime, id: last.id } : undefined };
    },

    async update(id, patch) {
      await db.update(policyRuns).set(patch).where(eq(policyRuns.id, id));
    },

    async finish(run, end, audit) {
      return db.transaction(async (tx) => {
        const [row] = await tx.update(policyRuns).set(end).where(eq(policyRuns.id, run.id)).returning();
        const after = toPolicyRun(row);
        await appendAuditTx(tx, audit, {
          storeId: after.storeId,
          action: "policy.run.completed",
          resourceType: "policy",
          resourceId: after.policyId,
          before: null,
          after: { ...after, createTime: after.createTime.toISOString(), endTime: after.endTime?.toISOString() ?? null, scheduledTime: after.scheduledTime?.toISOString() ?? null },
        });
        return after;
      });
    },
  };
}

export function createPolicySnapshotQueries(db: Db): PolicySnapshotQueries {
  const resource = (storeId: string, resourceType: string, resourceId: string) =>
    and(eq(snapshots.storeId, storeId), eq(snapshots.resourceType, resourceType), eq(snapshots.resourceId, resourceId), eq(snapshots.state, "ACTIVE"));
  return {
    async latestSha256(storeId, resourceType, resourceId) {
      const [row] = await db
        .select({ sha256: snapshots.sha256 })
        .from(snapshots)
        .where(resource(storeId, resourceType, resourceId))
        .orderBy(...newestFirst(snapshots.createTime, snapshots.id))
        .limit(1);
      return row?.sha256;
    },

    async surplus(storeId, policyId, resourceType, resourceId, keep) {
      const rows = await db
        .select({ id: snapshots.id })
        .from(snapshots)
        .where(and(resource(storeId, resourceType, resourceId), sql`${snapshots.labels} @> ${JSON.stringify({ [POLICY_LABEL]: policyId })}::jsonb`))
        .orderBy(...newestFirst(snapshots.createTime, snapshots.id))
        .offset(keep)
        .limit(1000);
      return rows.map((r) => r.id);
    },
  };
}

/** Pushes a QUEUED job's start back to `until` (never earlier); false when the job is no longer QUEUED. */
export function createJobDeferral(db: Db) {
  return async (jobId: string, until: Date): Promise<boolean> => {
    const rows = await db
      .update(jobs)
      .set({ runAfter: sql`greatest(${jobs.runAfter}, ${until.toISOString()}::timestamptz)` })
      .where(and(eq(jobs.id, jobId), eq(jobs.state, "QUEUED")))
      .returning({ id: jobs.id });
    return rows.length === 1;
  };
}
