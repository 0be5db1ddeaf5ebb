import { and, asc, eq, inArray, lte, sql } from "drizzle-orm";
import { snapshotState } from "../../domain/audit/resource-states.js";
import type { LifecycleRepository } from "../../domain/retention/lifecycle.js";
import { appendAuditTx } from "./audit-repo.js";
import type { Db } from "./client.js";
import { toSnapshot } from "./mappers.js";
import { snapshots, type SnapshotRow } from "./schema/index.js";
import { timestampParam, unprotectedAt } from "./snapshot-protection-sql.js";

/** Audit heads are locked in store order, so concurrent passes never wait on each other in a cycle. */
const byStore = (a: SnapshotRow, b: SnapshotRow) => (a.storeId < b.storeId ? -1 : a.storeId > b.storeId ? 1 : a.id < b.id ? -1 : 1);

/**
 * TTL expiry, purge and undelete across stores. Passes take their rows with SKIP LOCKED, so passes
 * in several processes share the work instead of blocking one another.
 */
export function createLifecycleRepository(db: Db): LifecycleRepository {
  return {
    async expireDue(now, purgeTime, limit, audit) {
      return db.transaction(async (tx) => {
        const due = await tx
          .select()
          .from(snapshots)
          .where(and(eq(snapshots.state, "ACTIVE"), lte(snapshots.expireTime, now), unprotectedAt(now)))
          .orderBy(asc(snapshots.expireTime))
          .limit(limit)
          .for("update", { skipLocked: true });
        if (due.length === 0) return 0;
        const updated = await tx
          .update(snapshots)
          .set({ state: "DELETED", deleteTime: now, purgeTime, generation: sql`${snapshots.generation} + 1` })
          .where(inArray(snapshots.id, due.map((r) => r.id)))
          .returning();
        const before = new Map(due.map((r) => [r.id, r]));
        for (const row of updated.sort(byStore)) {
          await appendAuditTx(tx, audit, {
            storeId: row.storeId,
            action: "snapshot.expire",
            resourceType: "snapshot",
            resourceId: row.id,
            before: snapshotState(toSnapshot(before.get(row.id)!, now)),
            after: snapshotState(toSnapshot(row, now)),
          });
        }
        return updated.length;
      });
    },

    async purgeDue(now, limit, audit) {
      return db.transaction(async (tx) => {
        const due = await tx
          .select({ id: snapshots.id })
          .from(snapshots)
          .where(and(eq(snapshots.state, "DELETED"), lte(snapshots.purgeTime, now), unprotectedAt(now)))
          .orderBy(asc(snapshots.purgeTime))
          .limit(limit)
          .for("update", { skipLocked: true });
        if (due.length === 0) return 0;
        const removed = await tx.delete(snapshots).where(inArray(snapshots.id, due.map((r) => r.id))).returning();
        for (const row of removed.sort(byStore)) {
          await appendAuditTx(tx, audit, {
            storeId: row.storeId,
            action: "snapshot.purge",
            resourceType: "snapshot",
            resourceId: row.id,
            before: snapshotState(toSnapshot(row, now)),
            after: null,
          });
        }
        return removed.length;
      });
    },

    async undelete(storeId, id, now, generation, audit) {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .select()
          .from(snapshots)
          .where(and(eq(snapshots.storeId, storeId), eq(snapshots.id, id)))
          .for("update");
        if (!row || row.state !== "DELETED" || row.generation !== generation) return undefined;
        if (row.purgeTime && row.purgeTime.getTime() <= now.getTime()) return undefined;
        const [updated] = await tx
          .update(snapshots)
          .set({
            state: "ACTIVE",
            deleteTime: null,
            purgeTime: null,
            // A snapshot deleted at or after its expiry comes back without it, or the next pass would
            // expire it again.
            expireTime: sql`case when ${snapshots.expireTime} <= greatest(${snapshots.deleteTime}, ${timestampParam(now)}) then null else ${snapshots.expireTime} end`,
            generation: sql`${snapshots.generation} + 1`,
          })
          .where(eq(snapshots.id, id))
          .returning();
        const after = toSnapshot(updated, now);
        await appendAuditTx(tx, audit, {
          storeId,
          action: "snapshot.undelete",
          resourceType: "snapshot",
          resourceId: id,
          before: snapshotState(toSnapshot(row, now)),
          after: snapshotState(after),
        });
        return after;
      });
    },
  };
}
