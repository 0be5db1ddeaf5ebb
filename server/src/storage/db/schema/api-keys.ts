import { boolean, index, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * API keys. Only `secret_hash` (lowercase hex SHA-256 or HMAC-SHA-256 of the secret) is stored; the
 * key itself is shown once at creation. `stores` is empty when `all_stores` is true.
 */
export const apiKeys = pgTable(
  "api_keys",
  {
    keyId: text("key_id").primaryKey(),
    name: text("name").notNull(),
    secretHash: text("secret_hash").notNull(),
    scopes: text("scopes").array().notNull(),
    stores: text("stores").array().notNull(),
    allStores: boolean("all_stores").notNull().default(false),
    expireTime: timestamp("expire_time", { withTimezone: true, precision: 3 }),
    revoked: boolean("revoked").notNull().default(false),
    revokeTime: timestamp("revoke_time", { withTimezone: true, precision: 3 }),
    createdBy: text("created_by").notNull(),
    createTime: timestamp("create_time", { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [index("api_keys_time_idx").on(t.createTime.desc(), t.keyId.desc())],
);

export type ApiKeyRow = typeof apiKeys.$inferSelect;
