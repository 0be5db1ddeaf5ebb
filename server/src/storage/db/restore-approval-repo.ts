import { and, eq, isNull } from "drizzle-orm";
import type { AuditContext } from "../../domain/audit/audit-context.js";
import type { ApprovalRepository, ApprovalState, RestoreApproval } from "../../domain/restore/types.js";
import { appendAuditTx, type Tx } from "./audit-repo.js";
import type { Db } from "./client.js";
import { afterCursor, newestFirst } from "./keyset.js";
import { restoreApprovals, type RestoreApprovalRow } from "./schema/index.js";

const toApproval = (r: RestoreApprovalRow): RestoreApproval => ({
  ...r,
  state: r.state as ApprovalState,
  jobId: r.jobId ?? undefined,
  decideTime: r.decideTime ?? undefined,
});

const approvalState = (a: RestoreApproval) => ({ ...a, createTime: a.createTime.toISOString(), decideTime: a.decideTime?.toISOString() ?? null });

const audited = (tx: Tx, audit: AuditContext, action: string, before: RestoreApproval | null, after: RestoreApproval) =>
  appendAuditTx(tx, audit, {
    storeId: after.storeId,
    action,
    resourceType: "restore_approval",
    resourceId: after.id,
    before: before && approvalState(before),
    after: approvalState(after),
  });

/** ApprovalRepository on PostgreSQL; every change is audited in its transaction. */
export function createApprovalRepository(db: Db): ApprovalRepository {
  const byId = (storeId: string, id: string) => and(eq(restoreApprovals.storeId, storeId), eq(restoreApprovals.id, id));
  return {
    async insert(a, audit) {
      return db.transaction(async (tx) => {
        const [row] = await tx.insert(restoreApprovals).values({ ...a, jobId: a.jobId ?? null, decideTime: a.decideTime ?? null }).returning();
        const created = toApproval(row);
        await audited(tx, audit, "restore_approval.request", null, created);
        return created;
      });
    },

    async get(storeId, id) {
      const [row] = await db.select().from(restoreApprovals).where(byId(storeId, id));
      return row && toApproval(row);
    },

    async list(filter, pageSize, after) {
      const rows = await db
        .select()
        .from(restoreApprovals)
        .where(
          and(
            eq(restoreApprovals.storeId, filter.storeId),
            filter.state ? eq(restoreApprovals.state, filter.state) : undefined,
            afterCursor(restoreApprovals.createTime, restoreApprovals.id, after),
          ),
        )
        .orderBy(...newestFirst(restoreApprovals.createTime, restoreApprovals.id))
        .limit(pageSize + 1);
      const items = rows.slice(0, pageSize).map(toApproval);
      const last = items[items.length - 1];
      return { items, next: rows.length > pageSize && last ? { createTime: last.createTime, id: last.id } : undefined };
    },

    async decide(storeId, id, d, audit) {
      return db.transaction(async (tx) => {
        const [locked] = await tx.select().from(restoreApprovals).where(and(byId(storeId, id), eq(restoreApprovals.state, "PENDING"))).for("update");
        if (!locked) return undefined;
        const [row] = await tx
          .update(restoreApprovals)
          .set({ state: d.state, decidedBy: d.decidedBy, comment: d.comment, decideTime: d.now })
          .where(byId(storeId, id))
          .returning();
        const after = toApproval(row);
        await audited(tx, audit, d.state === "APPROVED" ? "restore_approval.approve" : "restore_approval.reject", toApproval(locked), after);
        return after;
      });
    },

    async attachJob(storeId, id, jobId) {
      const rows = await db
        .update(restoreApprovals)
        .set({ jobId })
        .where(and(byId(storeId, id), isNull(restoreApprovals.jobId)))
        .returning({ id: restoreApprovals.id });
      return rows.length === 1;
    },
  };
}
