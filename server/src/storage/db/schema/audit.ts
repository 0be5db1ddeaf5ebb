import { bigint, index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

/**
 * Append-only audit log, hash-chained per store (see domain/audit/audit-event.ts). `time` keeps
 * millisecond precision because the hash covers its ISO form. `snapshot_id` is the snapshot the
 * event concerns, when there is one, for GetSnapshotAudit.
 */
export const auditEvents = pgTable(
  "audit_events",
  {
    id: uuid("id").primaryKey(),
    storeId: text("store_id").notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    resourceType: text("resource_type").notNull(),
    resourceId: text("resource_id").notNull(),
    snapshotId: text("snapshot_id"),
    before: jsonb("before").$type<unknown>(),
    after: jsonb("after").$type<unknown>(),
    requestId: text("request_id").notNull(),
    time: timestamp("time", { withTimezone: true, precision: 3 }).notNull(),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull(),
  },
  (t) => [
    uniqueIndex("audit_events_store_seq_idx").on(t.storeId, t.seq),
    index("audit_events_snapshot_idx").on(t.storeId, t.snapshotId, t.seq),
    index("audit_events_time_idx").on(t.storeId, t.time),
  ],
);

/**
 * The head of each store's chain: seq and hash of its newest event (0 and 64 zeros before the
 * first). Appending locks this row, which serialises writers of one store; VerifyAuditChain uses it
 * as a checkpoint so removing the newest events is detected.
 */
export const auditHeads = pgTable("audit_heads", {
  storeId: text("store_id").primaryKey(),
  seq: bigint("seq", { mode: "number" }).notNull(),
  hash: text("hash").notNull(),
});

export type AuditEventRow = typeof auditEvents.$inferSelect;
