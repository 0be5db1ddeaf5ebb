import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

/**
 * Durable jobs. A worker claims a QUEUED job whose `run_after` has passed with FOR UPDATE SKIP
 * LOCKED, under a fresh `lease_token`, and renews `lease_expire_time` while it runs; every later
 * write of that attempt names the token, so a worker whose lease was taken over cannot commit.
 * `attempts` counts claims (crashes included) and never exceeds `max_attempts`.
 *
 * `store_id` is null for system jobs (they belong to no store and no API shows them).
 * `dedupe_key` is unique among QUEUED and RUNNING jobs; (`schedule`, `scheduled_time`) is unique
 * for ever, so one tick of a schedule is one job whichever process enqueues it.
 */
export const jobs = pgTable(
  "jobs",
  {
    id: uuid("id").primaryKey(),
    storeId: text("store_id"),
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
    maxAttempts: integer("max_attempts").notNull().default(5),
    runAfter: timestamp("run_after", { withTimezone: true, precision: 6 }).notNull().default(sql`now()`),
    dedupeKey: text("dedupe_key"),
    schedule: text("schedule"),
    scheduledTime: timestamp("scheduled_time", { withTimezone: true, precision: 6 }),
    cancelRequested: boolean("cancel_requested").notNull().default(false),
    leaseOwner: text("lease_owner"),
    leaseToken: uuid("lease_token"),
    leaseExpireTime: timestamp("lease_expire_time", { withTimezone: true, precision: 6 }),
    createTime: timestamp("create_time", { withTimezone: true, precision: 6 }).notNull(),
    startTime: timestamp("start_time", { withTimezone: true, precision: 6 }),
    endTime: timestamp("end_time", { withTimezone: true, precision: 6 }),
    updateTime: timestamp("update_time", { withTimezone: true, precision: 6 }).notNull(),
  },
  (t) => [
    index("jobs_queued_idx").on(t.priority.desc(), t.createTime).where(sql`state = 'QUEUED'`),
    index("jobs_run_after_idx").on(t.runAfter).where(sql`state = 'QUEUED'`),
    index("jobs_lease_idx").on(t.leaseExpireTime).where(sql`state = 'RUNNING'`),
    index("jobs_store_time_idx").on(t.storeId, t.createTime.desc(), t.id.desc()),
    index("jobs_store_snapshot_idx").on(t.storeId, t.snapshotId).where(sql`snapshot_id is not null`),
    uniqueIndex("jobs_dedupe_uq").on(t.dedupeKey).where(sql`dedupe_key is not null and state in ('QUEUED', 'RUNNING')`),
    uniqueIndex("jobs_schedule_slot_uq").on(t.schedule, t.scheduledTime).where(sql`schedule is not null`),
  ],
);

/** Log lines a job wrote, per attempt, oldest first (persisted with each heartbeat). */
export const jobLogs = pgTable(
  "job_logs",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    jobId: uuid("job_id").notNull().references(() => jobs.id, { onDelete: "cascade" }),
    attempt: integer("attempt").notNull(),
    time: timestamp("time", { withTimezone: true, precision: 6 }).notNull(),
    line: text("line").notNull(),
  },
  (t) => [index("job_logs_job_idx").on(t.jobId, t.id)],
);

/**
 * One row per recurring schedule: the latest slot a job was enqueued for. A process enqueues a
 * slot's job only by moving `last_slot` forward in the same transaction, so each slot is enqueued
 * once across processes, and after downtime only the latest missed slot is.
 */
export const jobSchedules = pgTable("job_schedules", {
  name: text("name").primaryKey(),
  lastSlot: timestamp("last_slot", { withTimezone: true, precision: 6 }).notNull(),
  updateTime: timestamp("update_time", { withTimezone: true, precision: 6 }).notNull().default(sql`now()`),
});

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
export type JobLogRow = typeof jobLogs.$inferSelect;
