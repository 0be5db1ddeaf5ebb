import { and, asc, eq, gt, sql } from "drizzle-orm";
import type { AuditContext } from "../../domain/audit/audit-context.js";
import { alreadyExists } from "../../domain/errors.js";
import type { Job } from "../../domain/jobs/types.js";
import { RESTORE_JOB_TYPE } from "../../domain/restore/restores.js";
import type { RestoreTarget, RestoreTargetRepository } from "../../domain/restore/types.js";
import type { SecretBox } from "../../security/secret-box.js";
import { appendAuditTx, type Tx } from "./audit-repo.js";
import type { Db } from "./client.js";
import { toJob } from "./mappers.js";
import { isUniqueViolation } from "./pg-errors.js";
import { jobs, restoreTargets, type RestoreTargetRow } from "./schema/index.js";

const toTarget = ({ authSecretSealed, ...r }: RestoreTargetRow): RestoreTarget => ({
  ...r,
  protocol: r.protocol as RestoreTarget["protocol"],
  hasAuthSecret: authSecretSealed !== null,
});

/** The target as the audit log records it: never the secret. */
const targetState = (t: RestoreTarget) => ({ ...t, createTime: t.createTime.toISOString(), updateTime: t.updateTime.toISOString() });

const audited = (tx: Tx, audit: AuditContext, action: string, before: RestoreTarget | null, after: RestoreTarget | null) => {
  const t = (after ?? before)!;
  return appendAuditTx(tx, audit, {
    storeId: t.storeId,
    action,
    resourceType: "restore_target",
    resourceId: t.targetService,
    before: before && targetState(before),
    after: after && targetState(after),
  });
};

/** RestoreTargetRepository on PostgreSQL; secrets are sealed with `box` before they are stored. */
export function createRestoreTargetRepository(db: Db, box: SecretBox): RestoreTargetRepository {
  const key = (storeId: string, targetService: string) => and(eq(restoreTargets.storeId, storeId), eq(restoreTargets.targetService, targetService));
  const seal = (secret: string) => (secret ? box.seal(secret) : null);
  return {
    async insert(target, authSecret, audit) {
      try {
        return await db.transaction(async (tx) => {
          const [row] = await tx.insert(restoreTargets).values({ ...target, authSecretSealed: seal(authSecret) }).returning();
          const created = toTarget(row);
          await audited(tx, audit, "restore_target.register", null, created);
          return created;
        });
      } catch (err) {
        if (isUniqueViolation(err, "restore_targets_store_id_target_service_pk")) throw alreadyExists(`restore target ${target.targetService} is already registered`, "TARGET_EXISTS");
        throw err;
      }
    },

    async get(storeId, targetService) {
      const [row] = await db.select().from(restoreTargets).where(key(storeId, targetService));
      return row && toTarget(row);
    },

    async getWithSecret(storeId, targetService) {
      const [row] = await db.select().from(restoreTargets).where(key(storeId, targetService));
      return row && { target: toTarget(row), authSecret: row.authSecretSealed ? box.open(row.authSecretSealed) : "" };
    },

    async list(storeId, pageSize, after) {
      const rows = await db
        .select()
        .from(restoreTargets)
        .where(and(eq(restoreTargets.storeId, storeId), after ? gt(restoreTargets.targetService, after) : undefined))
        .orderBy(asc(restoreTargets.targetService))
        .limit(pageSize + 1);
      const items = rows.slice(0, pageSize).map(toTarget);
      return { items, next: rows.length > pageSize ? items[items.length - 1].targetService : undefined };
    },

    async update(storeId, targetService, changes, now, audit) {
      return db.transaction(async (tx) => {
        const [locked] = await tx.select().from(restoreTargets).where(key(storeId, targetService)).for("update");
        if (!locked) return undefined;
        const { authSecret, ...fields } = changes;
        const [row] = await tx
          .update(restoreTargets)
          .set({ ...fields, ...(authSecret !== undefined ? { authSecretSealed: seal(authSecret) } : {}), updateTime: now })
          .where(key(storeId, targetService))
          .returning();
        const after = toTarget(row);
        await audited(tx, audit, "restore_target.update", toTarget(locked), after);
        return after;
      });
    },

    async delete(storeId, targetService, audit) {
      return db.transaction(async (tx) => {
        const [row] = await tx.delete(restoreTargets).where(key(storeId, targetService)).returning();
        if (!row) return false;
        await audited(tx, audit, "restore_target.delete", toTarget(row), null);
        return true;
      });
    },
  };
}

/** The store's restore job started with idempotency key `key` (RestoreSnapshot replays). */
export async function findRestoreByRequestKey(db: Db, storeId: string, key: string): Promise<Job | undefined> {
  const [row] = await db
    .select()
    .from(jobs)
    .where(and(eq(jobs.storeId, storeId), eq(jobs.type, RESTORE_JOB_TYPE), sql`${jobs.params}->>'requestKey' = ${key}`))
    .orderBy(asc(jobs.createTime))
    .limit(1);
  return row && toJob(row);
}
