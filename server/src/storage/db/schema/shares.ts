import { bigint, boolean, index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * Share links. The token is not stored (it is re-derivable from the row and the signing key); the
 * row exists for revocation, listing and use counting.
 */
export const shares = pgTable(
  "shares",
  {
    id: uuid("id").primaryKey(),
    storeId: text("store_id").notNull(),
    snapshotId: uuid("snapshot_id").notNull(),
    access: text("access").notNull(),
    allowedIps: text("allowed_ips").array().notNull(),
    note: text("note").notNull().default(""),
    /** Id of the signing key the token was signed with. */
    kid: text("kid").notNull(),
    createdBy: text("created_by").notNull(),
    createTime: timestamp("create_time", { withTimezone: true, precision: 3 }).notNull(),
    expireTime: timestamp("expire_time", { withTimezone: true, precision: 3 }).notNull(),
    revoked: boolean("revoked").notNull().default(false),
    revokeTime: timestamp("revoke_time", { withTimezone: true, precision: 3 }),
    useCount: bigint("use_count", { mode: "number" }).notNull().default(0),
    lastUseTime: timestamp("last_use_time", { withTimezone: true, precision: 3 }),
  },
  (t) => [
    index("shares_store_time_idx").on(t.storeId, t.createTime.desc(), t.id.desc()),
    index("shares_snapshot_idx").on(t.storeId, t.snapshotId),
  ],
);

export type ShareRow = typeof shares.$inferSelect;
