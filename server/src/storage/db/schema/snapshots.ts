import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

/**
 * One row per snapshot. A soft-deleted row (state DELETED) keeps its content until it is purged. Content is immutable; metadata changes bump `generation` (the etag source).
 * A row is only ever inserted after its content is durable and verified, so every row is readable.
 * `resource_version` is unique per resource when set (partial unique index).
 *
 * Not declared here, so that row selects never fetch it: `search_vector` (tsvector, GIN-indexed),
 * set by a trigger on every insert and on updates of the searched columns, and refreshed when an
 * annotation is added; the `tag_counts` triggers. Both live in the custom migration `*_catalog_sql`.
 */
export const snapshots = pgTable(
  "snapshots",
  {
    id: uuid("id").primaryKey(),
    storeId: text("store_id").notNull(),
    resourceType: text("resource_type").notNull(),
    resourceId: text("resource_id").notNull().default(""),
    resourceVersion: text("resource_version").notNull().default(""),
    snapshotType: text("snapshot_type").notNull(),
    version: bigint("version", { mode: "number" }).notNull().default(0),
    generation: integer("generation").notNull().default(1),
    size: bigint("size", { mode: "number" }).notNull(),
    storedSize: bigint("stored_size", { mode: "number" }).notNull(),
    sha256: text("sha256").notNull(),
    tags: text("tags").array().notNull().default(sql`'{}'::text[]`),
    labels: jsonb("labels").$type<Record<string, unknown>>().notNull().default({}),
    commitMessage: text("commit_message").notNull().default(""),
    channel: text("channel").notNull().default(""),
    locale: text("locale").notNull().default(""),
    jobId: text("job_id").notNull().default(""),
    createdBy: text("created_by").notNull(),
    state: text("state").notNull(),
    pinned: boolean("pinned").notNull().default(false),
    locked: boolean("locked").notNull().default(false),
    storageClass: text("storage_class").notNull().default("STANDARD"),
    encrypted: boolean("encrypted").notNull().default(false),
    encryptionAlgorithm: text("encryption_algorithm").notNull().default(""),
    encryptionKeyId: text("encryption_key_id").notNull().default(""),
    /** Opaque reference the content store resolves (object digest or manifest id). */
    contentRef: text("content_ref").notNull(),
    createTime: timestamp("create_time", { withTimezone: true, precision: 6 }).notNull(),
    expireTime: timestamp("expire_time", { withTimezone: true, precision: 6 }),
    deleteTime: timestamp("delete_time", { withTimezone: true, precision: 6 }),
    /** For a soft-deleted row: when the purge pass removes it (delete time + the undelete window). */
    purgeTime: timestamp("purge_time", { withTimezone: true, precision: 6 }),
    /** A pin or lock protects only while its expire time is unset or in the future. */
    pinReason: text("pin_reason").notNull().default(""),
    pinExpireTime: timestamp("pin_expire_time", { withTimezone: true, precision: 6 }),
    lockReason: text("lock_reason").notNull().default(""),
    lockExpireTime: timestamp("lock_expire_time", { withTimezone: true, precision: 6 }),
    /** Legal hold: no delete, no purge, no TTL expiry, no retention; never expires. */
    held: boolean("held").notNull().default(false),
    holdReason: text("hold_reason").notNull().default(""),
  },
  (t) => [
    index("snapshots_store_time_idx").on(t.storeId, t.createTime.desc(), t.id.desc()),
    index("snapshots_resource_idx").on(t.storeId, t.resourceType, t.resourceId, t.createTime.desc()),
    index("snapshots_content_idx").on(t.storeId, t.contentRef),
    index("snapshots_tags_idx").using("gin", t.tags),
    index("snapshots_labels_idx").using("gin", sql`${t.labels} jsonb_path_ops`),
    // TTL expiry and purge passes scan only the rows they act on.
    index("snapshots_expire_idx").on(t.expireTime).where(sql`${t.state} = 'ACTIVE' and ${t.expireTime} is not null`),
    index("snapshots_purge_idx").on(t.purgeTime).where(sql`${t.state} = 'DELETED'`),
    // Retention walks a store's ACTIVE snapshots in (resource_type, resource_id, create_time, id) order.
    index("snapshots_retention_idx")
      .on(t.storeId, t.resourceType, t.resourceId, t.createTime, t.id)
      .where(sql`${t.state} = 'ACTIVE'`),
    uniqueIndex("snapshots_resource_version_idx")
      .on(t.storeId, t.resourceType, t.resourceId, t.resourceVersion)
      .where(sql`${t.resourceVersion} <> ''`),
  ],
);

export type SnapshotRow = typeof snapshots.$inferSelect;
export type NewSnapshotRow = typeof snapshots.$inferInsert;
