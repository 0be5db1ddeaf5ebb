import { bigint, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

/** Whole-object content, content-addressed by SHA-256 and deduplicated per store. */
export const contentObjects = pgTable(
  "content_objects",
  {
    storeId: text("store_id").notNull(),
    sha256: text("sha256").notNull(),
    size: bigint("size", { mode: "number" }).notNull(),
    storedSize: bigint("stored_size", { mode: "number" }).notNull(),
    blobKey: text("blob_key").notNull(),
    createTime: timestamp("create_time", { withTimezone: true, precision: 6 }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.storeId, t.sha256] })],
);
