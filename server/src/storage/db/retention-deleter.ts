import { and, eq, exists, gt, inArray, notExists, notInArray, or, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { snapshotState } from "../../domain/audit/resource-states.js";
import type { RetentionDeleter } from "../../domain/retention/ports.js";
import { appendAuditTx } from "./audit-repo.js";
import type { Db } from "./client.js";
import { toSnapshot } from "./mappers.js";
import { shares, snapshots } from "./schema/index.js";
import { unprotectedAt } from "./snapshot-protection-sql.js";

const newer = alias(snapshots, "newer");

/**
 * Retention's soft deletes: one transaction per batch. The rows are locked only if they are still
 * deletable at the deletion time (ACTIVE, no unexpired pin or lock, no hold, no live share link,
 * and, for a resource's snapshot, a newer ACTIVE version outside the batch), so whatever became
 * protected after the evaluation is skipped. Each deletion is audited as `retention.delete` with
 * the reasons (rules and clauses) that selected it.
 */
export function createRetentionDeleter(db: Db): RetentionDeleter {
  return {
    async softDelete(storeId, batch, at, audit, jobId) {
      if (batch.length === 0) return [];
      const ids = batch.map((b) => b.id);
      const reasonsOf = new Map(batch.map((b) => [b.id, b.reasons]));
      return db.transaction(async (tx) => {
        const locked = await tx
          .select()
          .from(snapshots)
          .where(
            and(
              eq(snapshots.storeId, storeId),
              inArray(snapshots.id, ids),
              eq(snapshots.state, "ACTIVE"),
              unprotectedAt(at.deleteTime),
              notExists(
                tx
                  .select({ one: sql`1` })
                  .from(shares)
                  .where(and(eq(shares.storeId, storeId), eq(shares.snapshotId, snapshots.id), eq(shares.revoked, false), gt(shares.expireTime, at.deleteTime))),
              ),
              or(
                eq(snapshots.resourceId, ""),
                exists(
                  tx
                    .select({ one: sql`1` })
                    .from(newer)
                    .where(
                      and(
                        eq(newer.storeId, storeId),
                        eq(newer.resourceType, snapshots.resourceType),
                        eq(newer.resourceId, snapshots.resourceId),
                        eq(newer.state, "ACTIVE"),
                        gt(newer.version, snapshots.version),
                        notInArray(newer.id, ids),
                      ),
                    ),
                ),
              ),
            ),
          )
          .orderBy(snapshots.id)
          .for("update", { of: snapshots });
        if (locked.length === 0) return [];
        const updated = await tx
          .update(snapshots)
          .set({ state: "DELETED", deleteTime: at.deleteTime, purgeTime: at.purgeTime, generation: sql`${snapshots.generation} + 1` })
          .where(and(eq(snapshots.storeId, storeId), inArray(snapshots.id, locked.map((r) => r.id))))
          .returning();
        const beforeOf = new Map(locked.map((r) => [r.id, toSnapshot(r, at.deleteTime)]));
        for (const row of updated) {
          const after = toSnapshot(row, at.deleteTime);
          const reasons = (reasonsOf.get(row.id) ?? []).map((r) => ({ ruleId: r.ruleId ?? "", ruleName: r.ruleName ?? "", clause: r.clause ?? "", description: r.description }));
          await appendAuditTx(tx, audit, {
            storeId,
            action: "retention.delete",
            resourceType: "snapshot",
            resourceId: row.id,
            before: snapshotState(beforeOf.get(row.id)!),
            after: { ...snapshotState(after), retention: { jobId: jobId ?? null, reasons } },
          });
        }
        return updated.map((r) => r.id);
      });
    },
  };
}
