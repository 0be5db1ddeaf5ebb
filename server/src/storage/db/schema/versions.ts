import { bigint, index, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { snapshots } from "./snapshots.js";

/** The version counter of each resource; its row lock serialises version allocation. */
export const resources = pgTable(
  "resources",
  {
    storeId: text("store_id").notNull(),
    resourceType: text("resource_type").notNull(),
    resourceId: text("resource_id").notNull(),
    latestVersion: bigint("latest_version", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.storeId, t.resourceType, t.resourceId] })],
);

/** Version N of a resource points at exactly one snapshot; versions are dense and never reused. */
export const versions = pgTable(
  "versions",
  {
    storeId: text("store_id").notNull(),
    resourceType: text("resource_type").notNull(),
    resourceId: text("resource_id").notNull(),
    version: bigint("version", { mode: "number" }).notNull(),
    snapshotId: uuid("snapshot_id")
      .notNull()
      .references(() => snapshots.id, { onDelete: "cascade" }),
    authorId: text("author_id").notNull(),
    notes: text("notes").notNull().default(""),
    message: text("message").notNull().default(""),
    createTime: timestamp("create_time", { withTimezone: true, precision: 6 }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.storeId, t.resourceType, t.resourceId, t.version] }),
    index("versions_snapshot_idx").on(t.snapshotId),
  ],
);

export type VersionRow = typeof versions.$inferSelect;
