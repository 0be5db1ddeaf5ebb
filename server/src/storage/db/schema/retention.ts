import { boolean, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

/** Retention rules of a store (domain/retention/types.ts states what each column means). */
export const retentionRules = pgTable(
  "retention_rules",
  {
    id: uuid("id").primaryKey(),
    storeId: text("store_id").notNull(),
    name: text("name").notNull(),
    tag: text("tag").notNull().default(""),
    resourceType: text("resource_type").notNull().default(""),
    keepLatestN: integer("keep_latest_n").notNull().default(0),
    keepWithinDays: integer("keep_within_days").notNull().default(0),
    keepDaily: integer("keep_daily").notNull().default(0),
    keepWeekly: integer("keep_weekly").notNull().default(0),
    keepMonthly: integer("keep_monthly").notNull().default(0),
    keepYearly: integer("keep_yearly").notNull().default(0),
    deleteOlderThanDays: integer("delete_older_than_days").notNull().default(0),
    excludePinned: boolean("exclude_pinned").notNull().default(true),
    enabled: boolean("enabled").notNull().default(true),
    timeZone: text("time_zone").notNull().default("UTC"),
    /** Increments on every change; the etag is derived from it. */
    generation: integer("generation").notNull().default(1),
    createdBy: text("created_by").notNull(),
    createTime: timestamp("create_time", { withTimezone: true, precision: 6 }).notNull(),
    updateTime: timestamp("update_time", { withTimezone: true, precision: 6 }).notNull(),
  },
  (t) => [
    uniqueIndex("retention_rules_name_idx").on(t.storeId, t.name),
    index("retention_rules_time_idx").on(t.storeId, t.createTime.desc(), t.id.desc()),
  ],
);

export type RetentionRuleRow = typeof retentionRules.$inferSelect;
