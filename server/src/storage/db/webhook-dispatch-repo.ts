import { and, asc, eq, gt, inArray, lte, sql } from "drizzle-orm";
import type { DispatchStore, DueDelivery } from "../../domain/webhooks/dispatch-ports.js";
import { matchesFilter } from "../../domain/events/types.js";
import type { Db } from "./client.js";
import { toStoredEvent } from "./event-repo.js";
import { auditHeads, events, webhookDeliveries, webhooks } from "./schema/index.js";
import { failPendingTx, toDelivery } from "./webhook-repo.js";
import { uuidv7 } from "uuidv7";

/** Webhooks fanned out per transaction, and events read per webhook per pass. */
const FANOUT_WEBHOOKS = 20;
const FANOUT_EVENTS = 500;

export function createDispatchStore(db: Db): DispatchStore {
  return {
    fanOut: (now) =>
      db.transaction(async (tx) => {
        const due = await tx
          .select({ w: webhooks, head: auditHeads.seq })
          .from(webhooks)
          .innerJoin(auditHeads, eq(auditHeads.storeId, webhooks.storeId))
          .where(gt(auditHeads.seq, webhooks.cursorSeq))
          .orderBy(asc(webhooks.updateTime))
          .limit(FANOUT_WEBHOOKS)
          .for("update", { of: webhooks, skipLocked: true });
        let created = 0;
        for (const { w, head } of due) {
          // Every seq up to `head` has committed (a store's seqs commit in order), so reading up to
          // it cannot miss a later commit below it.
          const rows = w.active
            ? await tx
                .select()
                .from(events)
                .where(and(eq(events.storeId, w.storeId), gt(events.seq, w.cursorSeq), lte(events.seq, head)))
                .orderBy(asc(events.seq))
                .limit(FANOUT_EVENTS)
            : [];
          const next = rows.length === FANOUT_EVENTS ? rows[rows.length - 1].seq : head;
          const filter = { types: w.eventTypes, resourceType: w.resourceType, tags: w.tags };
          const matching = rows.filter((e) => matchesFilter(e, filter));
          if (matching.length) {
            await tx.insert(webhookDeliveries).values(
              matching.map((e) => ({
                id: uuidv7(),
                webhookId: w.id,
                storeId: w.storeId,
                eventSeq: e.seq,
                eventType: e.type,
                status: "PENDING",
                nextAttemptTime: now,
                createTime: now,
                updateTime: now,
              })),
            );
            created += matching.length;
          }
          await tx.update(webhooks).set({ cursorSeq: next }).where(eq(webhooks.id, w.id));
        }
        return { deliveries: created, more: due.length === FANOUT_WEBHOOKS };
      }),

    async claimDue(limit, leaseMs, now) {
      if (limit <= 0) return [];
      const claimable = db
        .select({ id: webhookDeliveries.id })
        .from(webhookDeliveries)
        .innerJoin(webhooks, and(eq(webhooks.id, webhookDeliveries.webhookId), eq(webhooks.active, true)))
        .where(and(eq(webhookDeliveries.status, "PENDING"), lte(webhookDeliveries.nextAttemptTime, now)))
        .orderBy(asc(webhookDeliveries.nextAttemptTime))
        .limit(limit)
        .for("update", { of: webhookDeliveries, skipLocked: true });
      const claimed = await db
        .update(webhookDeliveries)
        .set({ nextAttemptTime: new Date(now.getTime() + leaseMs) })
        .where(inArray(webhookDeliveries.id, claimable))
        .returning();
      if (claimed.length === 0) return [];
      const hooks = await db.select().from(webhooks).where(inArray(webhooks.id, [...new Set(claimed.map((d) => d.webhookId))]));
      const evs = await db
        .select()
        .from(events)
        .where(sql`(${events.storeId}, ${events.seq}) in (${sql.join(claimed.map((d) => sql`(${d.storeId}, ${d.eventSeq})`), sql`, `)})`);
      return claimed.flatMap((d): DueDelivery[] => {
        const w = hooks.find((h) => h.id === d.webhookId);
        if (!w) return [];
        const e = evs.find((x) => x.storeId === d.storeId && x.seq === d.eventSeq);
        const previous = w.previousSecret && w.previousSecretExpireTime && w.previousSecretExpireTime > now ? [w.previousSecret] : [];
        return [{ delivery: toDelivery(d), url: w.url, secrets: [w.secret, ...previous], event: e && toStoredEvent(e) }];
      });
    },

    complete: (deliveryId, result, next, now, disable) =>
      db.transaction(async (tx) => {
        const [d] = await tx
          .update(webhookDeliveries)
          .set({
            status: next.status,
            attempts: sql`${webhookDeliveries.attempts} + 1`,
            responseCode: result.responseCode,
            latencyMs: result.latencyMs,
            lastError: result.error,
            nextAttemptTime: next.nextAttemptTime,
            updateTime: now,
          })
          .where(eq(webhookDeliveries.id, deliveryId))
          .returning({ webhookId: webhookDeliveries.webhookId });
        if (d && disable) {
          await tx.update(webhooks).set({ active: false, disabledReason: disable, updateTime: now }).where(eq(webhooks.id, d.webhookId));
          await failPendingTx(tx, d.webhookId, `webhook deactivated: ${disable}`, now);
        }
      }),
  };
}
