import { sql } from "drizzle-orm";
import { boolean, customType, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

const bytea = customType<{ data: Uint8Array; driverData: Buffer }>({
  dataType: () => "bytea",
  toDriver: (v) => Buffer.from(v),
  fromDriver: (v) => new Uint8Array(v),
});

/**
 * Restore targets: an owning service's RestoreTargetService endpoint, one per (store, target
 * service). The auth secret is stored sealed (AES-256-GCM under a key derived from the master
 * key, restore/secret-box.ts), never in clear.
 */
export const restoreTargets = pgTable(
  "restore_targets",
  {
    storeId: text("store_id").notNull(),
    targetService: text("target_service").notNull(),
    resourceType: text("resource_type").notNull(),
    endpoint: text("endpoint").notNull(),
    protocol: text("protocol").notNull(),
    timeoutMs: integer("timeout_ms").notNull(),
    critical: boolean("critical").notNull().default(false),
    authHeaderName: text("auth_header_name").notNull(),
    authSecretSealed: bytea("auth_secret_sealed"),
    createdBy: text("created_by").notNull(),
    createTime: timestamp("create_time", { withTimezone: true, precision: 3 }).notNull(),
    updateTime: timestamp("update_time", { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.storeId, t.targetService] })],
);

/**
 * Approvals of restores into critical targets. `job_id` is the restore that waits for (or used)
 * the approval: at most one job per approval.
 */
export const restoreApprovals = pgTable(
  "restore_approvals",
  {
    id: uuid("id").primaryKey(),
    storeId: text("store_id").notNull(),
    snapshotId: uuid("snapshot_id").notNull(),
    targetService: text("target_service").notNull(),
    initiatorId: text("initiator_id").notNull(),
    requestedBy: text("requested_by").notNull(),
    reason: text("reason").notNull(),
    state: text("state").notNull(),
    decidedBy: text("decided_by").notNull().default(""),
    comment: text("comment").notNull().default(""),
    jobId: uuid("job_id"),
    createTime: timestamp("create_time", { withTimezone: true, precision: 3 }).notNull(),
    decideTime: timestamp("decide_time", { withTimezone: true, precision: 3 }),
  },
  (t) => [
    index("restore_approvals_store_time_idx").on(t.storeId, t.createTime.desc(), t.id.desc()),
    uniqueIndex("restore_approvals_job_uq").on(t.jobId).where(sql`job_id is not null`),
  ],
);

export type RestoreTargetRow = typeof restoreTargets.$inferSelect;
export type RestoreApprovalRow = typeof restoreApprovals.$inferSelect;
