import { bigint, index, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { snapshots } from "./snapshots.js";

/**
 * Immutable notes on snapshots: rows are only ever inserted (and go with their snapshot when it is
 * purged). Adding one refreshes the snapshot's search vector (trigger in `*_catalog_sql`).
 */
export const snapshotAnnotations = pgTable(
  "snapshot_annotations",
  {
    id: uuid("id").primaryKey(),
    storeId: text("store_id").notNull(),
    snapshotId: uuid("snapshot_id")
      .notNull()
      .references(() => snapshots.id, { onDelete: "cascade" }),
    authorId: text("author_id").notNull(),
    message: text("message").notNull(),
    createdBy: text("created_by").notNull(),
    createTime: timestamp("create_time", { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [index("snapshot_annotations_snapshot_idx").on(t.snapshotId, t.createTime.desc(), t.id.desc())],
);

/**
 * Live (ACTIVE) snapshots per (store, tag). Maintained only by statement-level triggers on
 * `snapshots` (`*_catalog_sql`), in the transaction of the change, taking the counter rows in
 * (store, tag) order; rows that reach 0 are deleted.
 */
export const tagCounts = pgTable(
  "tag_counts",
  {
    storeId: text("store_id").notNull(),
    tag: text("tag").notNull(),
    liveCount: bigint("live_count", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.storeId, t.tag] }), index("tag_counts_rank_idx").on(t.storeId, t.liveCount.desc(), t.tag)],
);

export type AnnotationRow = typeof snapshotAnnotations.$inferSelect;
