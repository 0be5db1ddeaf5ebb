import { pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Idempotency keys of create-like RPCs. The row is inserted in the same transaction as the resource
 * it created, so a replay either sees the finished result or waits for the first attempt to commit.
 */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    storeId: text("store_id").notNull(),
    method: text("method").notNull(),
    key: text("key").notNull(),
    fingerprint: text("fingerprint").notNull(),
    resultId: text("result_id").notNull(),
    createTime: timestamp("create_time", { withTimezone: true, precision: 6 }).notNull(),
    expireTime: timestamp("expire_time", { withTimezone: true, precision: 6 }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.storeId, t.method, t.key] })],
);
