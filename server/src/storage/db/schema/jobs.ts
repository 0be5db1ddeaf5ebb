import { boolean, index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * Durable jobs. A worker claims a QUEUED job (or a RUNNING one whose lease expired) with
 * FOR UPDATE SKIP LOCKED and renews `lease_expire_time` while it runs.
 */
export const jobs = pgTable(
  "jobs",
  {
    id: uuid("id").primaryKey(),
    storeId: text("store_id").notNull(),
    type: text("type").notNull(),
    state: text("state").notNull(),
    priority: integer("priority").notNull().default(5),
    progressPercent: integer("progress_percent").notNull().default(0),
    snapshotId: uuid("snapshot_id"),
    params: jsonb("params").$type<Record<string, unknown>>().notNull().default({}),
    result: jsonb("result").$type<JobResultJson>(),
    errors: jsonb("errors").$type<JobErrorJson[]>().notNull().default([]),
    createdBy: text("created_by").notNull(),
    attempts: integer("attempts").notNull().default(0),
    cancelRequested: boolean("cancel_requested").notNull().default(false),
    leaseOwner: text("lease_owner"),
    leaseExpireTime: timestamp("lease_expire_time", { withTimezone: true, precision: 6 }),
    createTime: timestamp("create_time", { withTimezone: true, precision: 6 }).notNull(),
    startTime: timestamp("start_time", { withTimezone: true, precision: 6 }),
    endTime: timestamp("end_time", { withTimezone: true, precision: 6 }),
    updateTime: timestamp("update_time", { withTimezone: true, precision: 6 }).notNull(),
  },
  (t) => [
    index("jobs_claim_idx").on(t.state, t.priority.desc(), t.createTime),
    index("jobs_store_time_idx").on(t.storeId, t.createTime.desc(), t.id.desc()),
  ],
);

export interface JobErrorJson {
  code: string;
  message: string;
  subject?: string;
}

export interface JobResultJson {
  snapshotId?: string;
  downloadUrl?: string;
  logs?: string[];
  details?: Record<string, unknown>;
}

export type JobRow = typeof jobs.$inferSelect;
