import { and, eq, sql } from "drizzle-orm";
import { resourceExhausted } from "../../domain/errors.js";
import type { Delivery, DeliveryStatus, Webhook, WebhookRepository } from "../../domain/webhooks/types.js";
import { appendAuditTx, type Tx } from "./audit-repo.js";
import type { Db } from "./client.js";
import { afterCursor, newestFirst } from "./keyset.js";
import { auditHeads, events, webhookDeliveries, webhooks, type WebhookDeliveryRow, type WebhookRow } from "./schema/index.js";

export function toWebhook(r: WebhookRow): Webhook {
  const graceLive = r.previousSecret !== null && r.previousSecretExpireTime !== null;
  return {
    id: r.id,
    storeId: r.storeId,
    url: r.url,
    events: r.eventTypes,
    resourceType: r.resourceType,
    tags: r.tags,
    active: r.active,
    description: r.description,
    disabledReason: r.disabledReason,
    createTime: r.createTime,
    updateTime: r.updateTime,
    previousSecretExpireTime: graceLive ? r.previousSecretExpireTime! : undefined,
  };
}

export function toDelivery(r: WebhookDeliveryRow): Delivery {
  return {
    id: r.id,
    webhookId: r.webhookId,
    storeId: r.storeId,
    eventSeq: r.eventSeq,
    eventType: r.eventType,
    status: r.status as DeliveryStatus,
    attempts: r.attempts,
    responseCode: r.responseCode,
    latencyMs: r.latencyMs,
    lastError: r.lastError,
    nextAttemptTime: r.nextAttemptTime,
    createTime: r.createTime,
    updateTime: r.updateTime,
    redeliveryOf: r.redeliveryOf,
  };
}

const byId = (storeId: string, id: string) => and(eq(webhooks.storeId, storeId), eq(webhooks.id, id));

/** Fails the webhook's PENDING deliveries (it was deactivated): they will not be attempted. */
export const failPendingTx = (tx: Tx, webhookId: string, reason: string, now: Date) =>
  tx
    .update(webhookDeliveries)
    .set({ status: "FAILED", lastError: reason, updateTime: now })
    .where(and(eq(webhookDeliveries.webhookId, webhookId), eq(webhookDeliveries.status, "PENDING")));

/**
 * The store's audit head seq (0 before its first event): where a webhook's cursor starts. Call
 * after the transaction's audit append, which locks the head.
 */
async function headSeqTx(tx: Tx, storeId: string): Promise<number> {
  const [head] = await tx.select({ seq: auditHeads.seq }).from(auditHeads).where(eq(auditHeads.storeId, storeId));
  return head?.seq ?? 0;
}

export function createWebhookRepository(db: Db): WebhookRepository {
  const audited = (tx: Tx, audit: Parameters<typeof appendAuditTx>[1], action: string, before: Webhook | null, after: Webhook | null) =>
    appendAuditTx(tx, audit, { storeId: (after ?? before)!.storeId, action, resourceType: "webhook", resourceId: (after ?? before)!.id, before, after });

  return {
    create: (w, secret, maxPerStore, audit) =>
      db.transaction(async (tx) => {
        const [{ n }] = await tx.select({ n: sql<number>`count(*)::int` }).from(webhooks).where(eq(webhooks.storeId, w.storeId));
        if (n >= maxPerStore) throw resourceExhausted(`a store has at most ${maxPerStore} webhooks`, undefined, "TOO_MANY_WEBHOOKS");
        // The audit append locks the store's head: no event commits between it and the cursor read.
        await audited(tx, audit, "webhook.create", null, w);
        const head = await headSeqTx(tx, w.storeId);
        const [row] = await tx
          .insert(webhooks)
          .values({
            id: w.id,
            storeId: w.storeId,
            url: w.url,
            eventTypes: [...w.events],
            resourceType: w.resourceType,
            tags: [...w.tags],
            active: w.active,
            description: w.description,
            secret,
            cursorSeq: head,
            createTime: w.createTime,
            updateTime: w.updateTime,
          })
          .returning();
        return toWebhook(row);
      }),

    async get(storeId, id) {
      const [row] = await db.select().from(webhooks).where(byId(storeId, id));
      return row && toWebhook(row);
    },

    async list(storeId, limit, after) {
      const rows = await db
        .select()
        .from(webhooks)
        .where(and(eq(webhooks.storeId, storeId), afterCursor(webhooks.createTime, webhooks.id, after)))
        .orderBy(...newestFirst(webhooks.createTime, webhooks.id))
        .limit(limit);
      return rows.map(toWebhook);
    },

    update: (storeId, id, patch, now, audit) =>
      db.transaction(async (tx) => {
        const [current] = await tx.select().from(webhooks).where(byId(storeId, id)).for("update");
        if (!current) return undefined;
        const [row] = await tx
          .update(webhooks)
          .set({
            url: patch.url,
            eventTypes: patch.events && [...patch.events],
            resourceType: patch.resourceType,
            tags: patch.tags && [...patch.tags],
            active: patch.active,
            description: patch.description,
            disabledReason: patch.active === true ? "" : undefined,
            updateTime: now,
          })
          .where(byId(storeId, id))
          .returning();
        if (current.active && !row.active) await failPendingTx(tx, id, "webhook deactivated", now);
        await audited(tx, audit, "webhook.update", toWebhook(current), toWebhook(row));
        if (!current.active && row.active) {
          // Reactivated: it resumes with events after now. Its cursor may still be behind events
          // committed while it was off (no fan-out pass ran since); the audit append above locks the
          // store's head, so no event commits between it and this read.
          const head = await headSeqTx(tx, storeId);
          if (head > row.cursorSeq) await tx.update(webhooks).set({ cursorSeq: head }).where(byId(storeId, id));
        }
        return toWebhook(row);
      }),

    delete: (storeId, id, audit) =>
      db.transaction(async (tx) => {
        const [row] = await tx.delete(webhooks).where(byId(storeId, id)).returning();
        if (!row) return false;
        await audited(tx, audit, "webhook.delete", toWebhook(row), null);
        return true;
      }),

    rotate: (storeId, id, secret, previousUntil, now, audit) =>
      db.transaction(async (tx) => {
        const [current] = await tx.select().from(webhooks).where(byId(storeId, id)).for("update");
        if (!current) return undefined;
        const [row] = await tx
          .update(webhooks)
          .set({ secret, previousSecret: previousUntil ? current.secret : null, previousSecretExpireTime: previousUntil ?? null, updateTime: now })
          .where(byId(storeId, id))
          .returning();
        await audited(tx, audit, "webhook.rotate_secret", toWebhook(current), toWebhook(row));
        return toWebhook(row);
      }),

    async listDeliveries(storeId, webhookId, status, limit, after) {
      const rows = await db
        .select()
        .from(webhookDeliveries)
        .where(
          and(
            eq(webhookDeliveries.storeId, storeId),
            eq(webhookDeliveries.webhookId, webhookId),
            status ? eq(webhookDeliveries.status, status) : undefined,
            afterCursor(webhookDeliveries.createTime, webhookDeliveries.id, after),
          ),
        )
        .orderBy(...newestFirst(webhookDeliveries.createTime, webhookDeliveries.id))
        .limit(limit);
      return rows.map(toDelivery);
    },

    redeliver: (storeId, webhookId, deliveryId, now, newId) =>
      db.transaction(async (tx) => {
        const [d] = await tx
          .select()
          .from(webhookDeliveries)
          .where(and(eq(webhookDeliveries.storeId, storeId), eq(webhookDeliveries.webhookId, webhookId), eq(webhookDeliveries.id, deliveryId)));
        if (!d) return undefined;
        const [event] = await tx.select({ seq: events.seq }).from(events).where(and(eq(events.storeId, storeId), eq(events.seq, d.eventSeq)));
        if (!event) return "event-pruned" as const;
        const [row] = await tx
          .insert(webhookDeliveries)
          .values({ id: newId, webhookId, storeId, eventSeq: d.eventSeq, eventType: d.eventType, status: "PENDING", nextAttemptTime: now, redeliveryOf: d.id, createTime: now, updateTime: now })
          .returning();
        return toDelivery(row);
      }),
  };
}
