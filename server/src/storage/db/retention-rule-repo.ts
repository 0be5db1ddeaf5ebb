import { and, count, eq, ne, sql } from "drizzle-orm";
import type { AuditContext } from "../../domain/audit/audit-context.js";
import { aborted, alreadyExists, failedPrecondition } from "../../domain/errors.js";
import type { RetentionRuleRepository } from "../../domain/retention/ports.js";
import { ruleEtag, type RetentionRule } from "../../domain/retention/types.js";
import { appendAuditTx, type Tx } from "./audit-repo.js";
import type { Db } from "./client.js";
import { afterCursor, newestFirst } from "./keyset.js";
import { retentionRules, type RetentionRuleRow } from "./schema/index.js";

/** Row -> domain: the columns are the rule's fields, by the same names. */
export const toRetentionRule = (r: RetentionRuleRow): RetentionRule => ({ ...r });

/** The rule as the audit log records it. */
const ruleState = (r: RetentionRule) => ({ ...r, createTime: r.createTime.toISOString(), updateTime: r.updateTime.toISOString() });

/** Serialises rule writes of one store (name uniqueness and the rule count are checked under it). */
const lockStore = (tx: Tx, storeId: string) => tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`retention_rules:${storeId}`}))`);

async function nameTaken(tx: Tx, storeId: string, name: string, exceptId?: string): Promise<boolean> {
  const [row] = await tx
    .select({ id: retentionRules.id })
    .from(retentionRules)
    .where(and(eq(retentionRules.storeId, storeId), eq(retentionRules.name, name), exceptId ? ne(retentionRules.id, exceptId) : undefined));
  return row !== undefined;
}

const audited = (tx: Tx, audit: AuditContext, action: string, id: string, storeId: string, before: RetentionRule | null, after: RetentionRule | null) =>
  appendAuditTx(tx, audit, {
    storeId,
    action,
    resourceType: "retention_rule",
    resourceId: id,
    before: before && ruleState(before),
    after: after && ruleState(after),
  });

export function createRetentionRuleRepository(db: Db): RetentionRuleRepository {
  const byId = (storeId: string, id: string) => and(eq(retentionRules.storeId, storeId), eq(retentionRules.id, id));
  return {
    async insert(rule, maxRules, audit) {
      return db.transaction(async (tx) => {
        await lockStore(tx, rule.storeId);
        if (await nameTaken(tx, rule.storeId, rule.name)) throw alreadyExists(`a retention rule named ${rule.name} already exists`, "RULE_NAME_TAKEN");
        const [{ n }] = await tx.select({ n: count() }).from(retentionRules).where(eq(retentionRules.storeId, rule.storeId));
        if (n >= maxRules) throw failedPrecondition(`a store has at most ${maxRules} retention rules`, "TOO_MANY_RULES");
        const [row] = await tx.insert(retentionRules).values(rule).returning();
        const created = toRetentionRule(row);
        await audited(tx, audit, "retention_rule.create", created.id, created.storeId, null, created);
        return created;
      });
    },

    async get(storeId, id) {
      const [row] = await db.select().from(retentionRules).where(byId(storeId, id));
      return row && toRetentionRule(row);
    },

    async list(storeId, pageSize, after) {
      const base = eq(retentionRules.storeId, storeId);
      const rows = await db
        .select()
        .from(retentionRules)
        .where(and(base, afterCursor(retentionRules.createTime, retentionRules.id, after)))
        .orderBy(...newestFirst(retentionRules.createTime, retentionRules.id))
        .limit(pageSize + 1);
      const items = rows.slice(0, pageSize).map(toRetentionRule);
      const last = items[items.length - 1];
      const [{ n }] = await db.select({ n: count() }).from(retentionRules).where(base);
      return { items, next: rows.length > pageSize && last ? { createTime: last.createTime, id: last.id } : undefined, totalSize: Number(n) };
    },

    async all(storeId) {
      const rows = await db.select().from(retentionRules).where(eq(retentionRules.storeId, storeId)).orderBy(retentionRules.createTime, retentionRules.id);
      return rows.map(toRetentionRule);
    },

    async update(storeId, id, opts) {
      return db.transaction(async (tx) => {
        await lockStore(tx, storeId);
        const [row] = await tx.select().from(retentionRules).where(byId(storeId, id)).for("update");
        if (!row) return undefined;
        const before = toRetentionRule(row);
        if (opts.etag !== undefined && opts.etag !== ruleEtag(before)) throw aborted("etag does not match the rule's current etag", "ETAG_MISMATCH");
        const spec = opts.change(before);
        if (spec.name !== before.name && (await nameTaken(tx, storeId, spec.name, id))) {
          throw alreadyExists(`a retention rule named ${spec.name} already exists`, "RULE_NAME_TAKEN");
        }
        const [updated] = await tx
          .update(retentionRules)
          .set({ ...spec, generation: sql`${retentionRules.generation} + 1`, updateTime: opts.now })
          .where(byId(storeId, id))
          .returning();
        const after = toRetentionRule(updated);
        await audited(tx, opts.audit, "retention_rule.update", id, storeId, before, after);
        return after;
      });
    },

    async delete(storeId, id, etag, audit) {
      return db.transaction(async (tx) => {
        const [row] = await tx.select().from(retentionRules).where(byId(storeId, id)).for("update");
        if (!row) return false;
        const before = toRetentionRule(row);
        if (etag !== undefined && etag !== ruleEtag(before)) throw aborted("etag does not match the rule's current etag", "ETAG_MISMATCH");
        await tx.delete(retentionRules).where(byId(storeId, id));
        await audited(tx, audit, "retention_rule.delete", id, storeId, before, null);
        return true;
      });
    },
  };
}
