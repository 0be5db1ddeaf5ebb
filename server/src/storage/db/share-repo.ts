import { and, eq, gt, sql } from "drizzle-orm";
import type { ShareAccess } from "../../domain/share/share-token.js";
import { shareState, type ShareRecord, type ShareRepository } from "../../domain/share/share-use-cases.js";
import { appendAuditTx } from "./audit-repo.js";
import type { Db } from "./client.js";
import { claimIdempotencyTx, Replayed } from "./idempotency-tx.js";
import { afterCursor, newestFirst } from "./keyset.js";
import { shares, type ShareRow } from "./schema/index.js";

const METHOD = "ShareSnapshot";

export function createShareRepository(db: Db): ShareRepository {
  const get = async (storeId: string, id: string) => {
    const [row] = await db.select().from(shares).where(and(eq(shares.storeId, storeId), eq(shares.id, id)));
    return row && toRecord(row);
  };
  return {
    get,

    async insert(share, opts) {
      try {
        await db.transaction(async (tx) => {
          if (opts.idempotency) {
            const earlier = await claimIdempotencyTx(tx, {
              storeId: share.storeId,
              method: METHOD,
              key: opts.idempotency.key,
              fingerprint: opts.idempotency.fingerprint,
              resultId: share.id,
              now: share.createTime,
            });
            if (earlier) throw new Replayed(earlier);
          }
          await tx.insert(shares).values({
            id: share.id,
            storeId: share.storeId,
            snapshotId: share.snapshotId,
            access: share.access,
            allowedIps: [...share.allowedIps],
            note: share.note,
            kid: share.kid,
            createdBy: share.createdBy,
            createTime: share.createTime,
            expireTime: share.expireTime,
          });
          await appendAuditTx(tx, opts.audit, {
            storeId: share.storeId,
            action: "share.create",
            resourceType: "share",
            resourceId: share.id,
            before: null,
            after: shareState(share),
          });
        });
        return { share, replayed: false };
      } catch (e) {
        if (!(e instanceof Replayed)) throw e;
        const earlier = await get(share.storeId, e.resultId);
        if (!earlier) throw e;
        return { share: earlier, replayed: true };
      }
    },

    async findById(id) {
      const [row] = await db.select().from(shares).where(eq(shares.id, id));
      return row && toRecord(row);
    },

    async revoke(storeId, id, now, audit) {
      return db.transaction(async (tx) => {
        const [row] = await tx.select().from(shares).where(and(eq(shares.storeId, storeId), eq(shares.id, id))).for("update");
        if (!row) return undefined;
        const before = toRecord(row);
        if (row.revoked) return before;
        const [updated] = await tx.update(shares).set({ revoked: true, revokeTime: now }).where(eq(shares.id, id)).returning();
        const after = toRecord(updated);
        await appendAuditTx(tx, audit, {
          storeId,
          action: "share.revoke",
          resourceType: "share",
          resourceId: id,
          before: shareState(before),
          after: shareState(after),
        });
        return after;
      });
    },

    async recordUse(share, action, detail, now, audit) {
      await db.transaction(async (tx) => {
        await tx
          .update(shares)
          .set({ useCount: sql`${shares.useCount} + 1`, lastUseTime: now })
          .where(eq(shares.id, share.id));
        await appendAuditTx(tx, audit, {
          storeId: share.storeId,
          action,
          resourceType: "share",
          resourceId: share.id,
          before: null,
          after: { snapshotId: share.snapshotId, access: share.access, ...detail },
        });
      });
    },

    async list(filter, limit, after) {
      const rows = await db
        .select()
        .from(shares)
        .where(
          and(
            eq(shares.storeId, filter.storeId),
            filter.snapshotId ? eq(shares.snapshotId, filter.snapshotId) : undefined,
            filter.activeAt ? and(eq(shares.revoked, false), gt(shares.expireTime, filter.activeAt)) : undefined,
            afterCursor(shares.createTime, shares.id, after),
          ),
        )
        .orderBy(...newestFirst(shares.createTime, shares.id))
        .limit(limit);
      return rows.map(toRecord);
    },
  };
}

function toRecord(r: ShareRow): ShareRecord {
  return {
    id: r.id,
    storeId: r.storeId,
    snapshotId: r.snapshotId,
    access: r.access as ShareAccess,
    allowedIps: r.allowedIps,
    note: r.note,
    kid: r.kid,
    createdBy: r.createdBy,
    createTime: r.createTime,
    expireTime: r.expireTime,
    revoked: r.revoked,
    revokeTime: r.revokeTime ?? undefined,
    useCount: r.useCount,
    lastUseTime: r.lastUseTime ?? undefined,
  };
}
