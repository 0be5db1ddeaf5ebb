import { sql } from "drizzle-orm";
import { bigint, boolean, customType, index, integer, pgTable, primaryKey, smallint, text, timestamp, uuid } from "drizzle-orm/pg-core";

export const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => "bytea",
});

/**
 * Chunk index: per store, plaintext SHA-256 -> stored record location. Encrypted and plaintext
 * copies are indexed separately so encrypted content never dedups against plaintext records.
 * `last_seen` is touched whenever an ingest dedups against the chunk; garbage collection only
 * considers chunks unseen for longer than its grace period.
 */
export const chunks = pgTable(
  "chunks",
  {
    storeId: text("store_id").notNull(),
    digest: bytea("digest").notNull(),
    encrypted: boolean("encrypted").notNull(),
    packId: text("pack_id").notNull(),
    offset: bigint("offset", { mode: "number" }).notNull(),
    length: integer("length").notNull(),
    plainSize: integer("plain_size").notNull(),
    codec: smallint("codec").notNull(),
    createTime: timestamp("create_time", { withTimezone: true, precision: 6 }).notNull().default(sql`now()`),
    lastSeen: timestamp("last_seen", { withTimezone: true, precision: 6 }).notNull().default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.storeId, t.digest, t.encrypted] }), index("chunks_pack_idx").on(t.storeId, t.packId)],
);

/**
 * Pack objects written to the BlobStore (committed only after they are durable). `retire_time` is
 * set when a repack has moved every live chunk out: no index row points at the pack any more, and
 * its object is deleted once readers that looked up the old locations have had a grace period.
 */
export const packs = pgTable(
  "packs",
  {
    storeId: text("store_id").notNull(),
    packId: text("pack_id").notNull(),
    blobKey: text("blob_key").notNull(),
    size: bigint("size", { mode: "number" }).notNull(),
    createTime: timestamp("create_time", { withTimezone: true, precision: 6 }).notNull().default(sql`now()`),
    retireTime: timestamp("retire_time", { withTimezone: true, precision: 6 }),
    /** Where the pack object lives: STANDARD, COLD or ARCHIVE (storage/blob/tier-mover.ts). */
    storageClass: text("storage_class").notNull().default("STANDARD"),
  },
  (t) => [primaryKey({ columns: [t.storeId, t.packId] })],
);

/** A content's ordered chunk list (binary, see engine/manifest.ts), referenced by snapshots.content_ref. */
export const manifests = pgTable(
  "manifests",
  {
    id: uuid("id").primaryKey(),
    storeId: text("store_id").notNull(),
    size: bigint("size", { mode: "number" }).notNull(),
    sha256: text("sha256").notNull(),
    chunkCount: integer("chunk_count").notNull(),
    encrypted: boolean("encrypted").notNull(),
    body: bytea("body").notNull(),
    createTime: timestamp("create_time", { withTimezone: true, precision: 6 }).notNull().default(sql`now()`),
  },
  (t) => [index("manifests_store_idx").on(t.storeId, t.createTime)],
);

/**
 * The rest of a large manifest's encoded body, in order: `manifests.body` holds the first
 * MANIFEST_PART_BYTES and parts 1..n the remainder. Writing a multi-megabyte bytea as one
 * parameter costs the driver several times its size in transient memory (hex text, then a
 * growing write buffer); bounded parts keep that small. Deleted with their manifest.
 */
export const manifestParts = pgTable(
  "manifest_parts",
  {
    manifestId: uuid("manifest_id")
      .notNull()
      .references(() => manifests.id, { onDelete: "cascade" }),
    part: integer("part").notNull(),
    body: bytea("body").notNull(),
  },
  (t) => [primaryKey({ columns: [t.manifestId, t.part] })],
);

/** Each store's data key, wrapped by the KMS master key. */
export const storeKeys = pgTable("store_keys", {
  storeId: text("store_id").primaryKey(),
  kmsKeyId: text("kms_key_id").notNull(),
  wrappedKey: bytea("wrapped_key").notNull(),
  createTime: timestamp("create_time", { withTimezone: true, precision: 6 }).notNull().default(sql`now()`),
});

/**
 * Resumable upload sessions. `manifest` holds the durable prefix: the chunks of every segment
 * received so far; `committed_size` is its length in bytes, the offset a client resumes from.
 */
export const uploads = pgTable(
  "uploads",
  {
    id: uuid("id").primaryKey(),
    storeId: text("store_id").notNull(),
    header: bytea("header").notNull(),
    state: text("state").notNull(),
    committedSize: bigint("committed_size", { mode: "number" }).notNull().default(0),
    segments: integer("segments").notNull().default(0),
    manifest: bytea("manifest"),
    snapshotId: uuid("snapshot_id"),
    createdBy: text("created_by").notNull(),
    createTime: timestamp("create_time", { withTimezone: true, precision: 6 }).notNull(),
    updateTime: timestamp("update_time", { withTimezone: true, precision: 6 }).notNull(),
    expireTime: timestamp("expire_time", { withTimezone: true, precision: 6 }).notNull(),
  },
  (t) => [index("uploads_expire_idx").on(t.state, t.expireTime)],
);

/**
 * Ingest leases: an operation that writes or reuses chunks (an upload, a chunk upload, a commit, a
 * repack) holds one from before its first chunk until its manifest is saved, renewing it while it
 * runs. Reclaim never deletes a chunk or pack seen or written since the start of a store's oldest
 * live lease, however long the operation takes; a lease not renewed for a while is dead (its
 * process is gone) and ignored.
 */
export const ingestLeases = pgTable(
  "ingest_leases",
  {
    id: uuid("id").primaryKey(),
    storeId: text("store_id").notNull(),
    startTime: timestamp("start_time", { withTimezone: true, precision: 6 }).notNull().default(sql`now()`),
    renewTime: timestamp("renew_time", { withTimezone: true, precision: 6 }).notNull().default(sql`now()`),
  },
  (t) => [index("ingest_leases_store_idx").on(t.storeId, t.startTime)],
);

/**
 * Pack-prefix objects reclaim found with no `packs` row (left when a pack's indexing failed with the
 * database unreachable). One is deleted by a later run, if it still has no row, once it has been
 * seen for the grace period and no lease older than its first sighting is still live.
 */
export const orphanObjects = pgTable(
  "orphan_objects",
  {
    blobKey: text("blob_key").primaryKey(),
    storeId: text("store_id").notNull(),
    firstSeen: timestamp("first_seen", { withTimezone: true, precision: 6 }).notNull().default(sql`now()`),
  },
  (t) => [index("orphan_objects_store_idx").on(t.storeId)],
);
