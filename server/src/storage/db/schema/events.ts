import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * The event outbox: one row per audited change that is an event (domain/events/event-types.ts),
 * written in the audit append's transaction. `seq` is the audit event's seq, so per store it
 * increases in commit order (the audit head lock serialises a store's writers); `id` is the audit
 * event's id. `subject_resource_type` and `tags` are the concerned snapshot's at write time, for
 * filters. Rows older than VELLUM_EVENT_RETENTION are pruned.
 */
export const events = pgTable(
  "events",
  {
    storeId: text("store_id").notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    id: uuid("id").notNull(),
    type: text("type").notNull(),
    resourceType: text("resource_type").notNull(),
    resourceId: text("resource_id").notNull(),
    snapshotId: text("snapshot_id"),
    subjectResourceType: text("subject_resource_type").notNull().default(""),
    tags: text("tags").array().notNull().default(sql`'{}'::text[]`),
    actor: text("actor").notNull(),
    data: jsonb("data").$type<unknown>(),
    time: timestamp("time", { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.storeId, t.seq] }), index("events_time_idx").on(t.time)],
);

/**
 * Webhook endpoints of a store. `cursor_seq` is the newest event seq already fanned out into
 * deliveries (set to the store's audit head at creation, so a webhook gets only later events).
 * `secret` signs deliveries; `previous_secret` too, until `previous_secret_expire_time`.
 */
export const webhooks = pgTable(
  "webhooks",
  {
    id: uuid("id").primaryKey(),
    storeId: text("store_id").notNull(),
    url: text("url").notNull(),
    eventTypes: text("event_types").array().notNull().default(sql`'{}'::text[]`),
    resourceType: text("resource_type").notNull().default(""),
    tags: text("tags").array().notNull().default(sql`'{}'::text[]`),
    active: boolean("active").notNull(),
    description: text("description").notNull().default(""),
    disabledReason: text("disabled_reason").notNull().default(""),
    secret: text("secret").notNull(),
    previousSecret: text("previous_secret"),
    previousSecretExpireTime: timestamp("previous_secret_expire_time", { withTimezone: true, precision: 3 }),
    cursorSeq: bigint("cursor_seq", { mode: "number" }).notNull(),
    createTime: timestamp("create_time", { withTimezone: true, precision: 3 }).notNull(),
    updateTime: timestamp("update_time", { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [index("webhooks_store_idx").on(t.storeId, t.createTime.desc(), t.id.desc())],
);

/**
 * One event to one webhook. PENDING rows are due at `next_attempt_time`; a dispatcher that claims
 * one pushes `next_attempt_time` past its attempt timeout (a lease), so a crashed dispatcher's
 * delivery is retried by another (at least once).
 */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: uuid("id").primaryKey(),
    webhookId: uuid("webhook_id")
      .notNull()
      .references(() => webhooks.id, { onDelete: "cascade" }),
    storeId: text("store_id").notNull(),
    eventSeq: bigint("event_seq", { mode: "number" }).notNull(),
    eventType: text("event_type").notNull(),
    status: text("status").notNull(),
    attempts: integer("attempts").notNull().default(0),
    responseCode: integer("response_code").notNull().default(0),
    latencyMs: integer("latency_ms").notNull().default(0),
    lastError: text("last_error").notNull().default(""),
    nextAttemptTime: timestamp("next_attempt_time", { withTimezone: true, precision: 3 }).notNull(),
    redeliveryOf: uuid("redelivery_of"),
    createTime: timestamp("create_time", { withTimezone: true, precision: 3 }).notNull(),
    updateTime: timestamp("update_time", { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [
    index("webhook_deliveries_due_idx").on(t.nextAttemptTime).where(sql`status = 'PENDING'`),
    index("webhook_deliveries_webhook_idx").on(t.webhookId, t.createTime.desc(), t.id.desc()),
  ],
);

export type EventRow = typeof events.$inferSelect;
export type WebhookRow = typeof webhooks.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
