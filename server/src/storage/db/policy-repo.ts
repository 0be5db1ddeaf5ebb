import { and, asc, count, eq, ne, sql } from "drizzle-orm";
import type { AuditContext } from "../../domain/audit/audit-context.js";
import { aborted, alreadyExists, failedPrecondition } from "../../domain/errors.js";
import type { PolicyRepository } from "../../domain/policies/ports.js";
import { policyEtag, type Policy, type PolicyTrigger } from "../../domain/policies/types.js";
import { appendAuditTx, type Tx } from "./audit-repo.js";
import type { Db } from "./client.js";
import { afterCursor, newestFirst } from "./keyset.js";
import { policies, type PolicyRow } from "./schema/index.js";

/** Row -> domain: the columns are the policy's fields, by the same names. */
export const toPolicy = (r: PolicyRow): Policy => ({ ...r, trigger: r.trigger as PolicyTrigger });

const policyState = (p: Policy) => ({ ...p, createTime: p.createTime.toISOString(), updateTime: p.updateTime.toISOString() });

/** Serialises policy writes of one store (name uniqueness and the count are checked under it). */
const lockStore = (tx: Tx, storeId: string) => tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`policies:${storeId}`}))`);

async function nameTaken(tx: Tx, storeId: string, name: string, exceptId?: string): Promise<boolean> {
  const [row] = await tx
    .select({ id: policies.id })
    .from(policies)
    .where(and(eq(policies.storeId, storeId), eq(policies.name, name), exceptId ? ne(policies.id, exceptId) : undefined));
  return row !== undefined;
}

const audited = (tx: Tx, audit: AuditContext, action: string, id: string, storeId: string, before: Policy | null, after: Policy | null) =>
  appendAuditTx(tx, audit, { storeId, action, resourceType: "policy", resourceId: id, before: before && policyState(before), after: after && policyState(after) });

const nameTakenError = (name: string) => alreadyExists(`a policy named ${name} already exists`, "POLICY_NAME_TAKEN");
const etagMismatch = () => aborted("etag does not match the policy's current etag", "ETAG_MISMATCH");

export function createPolicyRepository(db: Db): PolicyRepository {
  const byId = (storeId: string, id: string) => and(eq(policies.storeId, storeId), eq(policies.id, id));
  return {
    async insert(policy, maxPolicies, audit) {
      return db.transaction(async (tx) => {
        await lockStore(tx, policy.storeId);
        if (await nameTaken(tx, policy.storeId, policy.name)) throw nameTakenError(policy.name);
        const [{ n }] = await tx.select({ n: count() }).from(policies).where(eq(policies.storeId, policy.storeId));
        if (n >= maxPolicies) throw failedPrecondition(`a store has at most ${maxPolicies} policies`, "TOO_MANY_POLICIES");
        const [row] = await tx.insert(policies).values(policy).returning();
        const created = toPolicy(row);
        await audited(tx, audit, "policy.create", created.id, created.storeId, null, created);
        return created;
      });
    },

    async get(storeId, id) {
      const [row] = await db.select().from(policies).where(byId(storeId, id));
      return row && toPolicy(row);
    },

    async list(storeId, pageSize, after) {
      const rows = await db
        .select()
        .from(policies)
        .where(and(eq(policies.storeId, storeId), afterCursor(policies.createTime, policies.id, after)))
        .orderBy(...newestFirst(policies.createTime, policies.id))
        .limit(pageSize + 1);
      const items = rows.slice(0, pageSize).map(toPolicy);
      const last = items[items.length - 1];
      return { items, next: rows.length > pageSize && last ? { createTime: last.createTime, id: last.id } : undefined };
    },

    async update(storeId, id, opts) {
      return db.transaction(async (tx) => {
        await lockStore(tx, storeId);
        const [row] = await tx.select().from(policies).where(byId(storeId, id)).for("update");
        if (!row) return undefined;
        const before = toPolicy(row);
        if (opts.etag !== undefined && opts.etag !== policyEtag(before)) throw etagMismatch();
        const spec = opts.change(before);
        if (spec.name !== before.name && (await nameTaken(tx, storeId, spec.name, id))) throw nameTakenError(spec.name);
        const [updated] = await tx
          .update(policies)
          .set({ ...spec, version: sql`${policies.version} + 1`, updateTime: opts.now })
          .where(byId(storeId, id))
          .returning();
        const after = toPolicy(updated);
        await audited(tx, opts.audit, "policy.update", id, storeId, before, after);
        return after;
      });
    },

    async delete(storeId, id, etag, audit) {
      return db.transaction(async (tx) => {
        const [row] = await tx.select().from(policies).where(byId(storeId, id)).for("update");
        if (!row) return false;
        const before = toPolicy(row);
        if (etag !== undefined && etag !== policyEtag(before)) throw etagMismatch();
        await tx.delete(policies).where(byId(storeId, id));
        await audited(tx, audit, "policy.delete", id, storeId, before, null);
        return true;
      });
    },

    async enabledWithTrigger(trigger, limit) {
      const rows = await db
        .select()
        .from(policies)
        .where(and(eq(policies.trigger, trigger), eq(policies.enabled, true)))
        .orderBy(asc(policies.createTime), asc(policies.id))
        .limit(limit);
      return rows.map(toPolicy);
    },

    async matching(storeId, resourceType, trigger) {
      const rows = await db
        .select()
        .from(policies)
        .where(and(eq(policies.storeId, storeId), eq(policies.resourceType, resourceType), eq(policies.trigger, trigger), eq(policies.enabled, true)));
      return rows.map(toPolicy);
    },
  };
}
