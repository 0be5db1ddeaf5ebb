import { bigint, boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import type { PolicyRunError, PolicyScope } from "../../../domain/policies/types.js";

/** Snapshot policies of a store (domain/policies/types.ts states what each column means). */
export const policies = pgTable(
  "policies",
  {
    id: uuid("id").primaryKey(),
    storeId: text("store_id").notNull(),
    name: text("name").notNull(),
    resourceType: text("resource_type").notNull(),
    trigger: text("trigger").notNull(),
    cronExpression: text("cron_expression").notNull().default(""),
    timeZone: text("time_zone").notNull().default("UTC"),
    debounceMs: integer("debounce_ms").notNull().default(5000),
    retentionDays: integer("retention_days").notNull().default(0),
    keepLatestN: integer("keep_latest_n").notNull().default(0),
    tagsToInclude: jsonb("tags_to_include").$type<string[]>().notNull().default([]),
    scope: jsonb("scope").$type<PolicyScope>().notNull(),
    enabled: boolean("enabled").notNull().default(true),
    captureTargetUrl: text("capture_target_url").notNull().default(""),
    resourceIds: jsonb("resource_ids").$type<string[]>().notNull().default([]),
    /** 1 on create, +1 per update; the etag is derived from it. */
    version: integer("version").notNull().default(1),
    createdBy: text("created_by").notNull(),
    createTime: timestamp("create_time", { withTimezone: true, precision: 6 }).notNull(),
    updateTime: timestamp("update_time", { withTimezone: true, precision: 6 }).notNull(),
  },
  (t) => [
    uniqueIndex("policies_name_idx").on(t.storeId, t.name),
    index("policies_time_idx").on(t.storeId, t.createTime.desc(), t.id.desc()),
    index("policies_trigger_idx").on(t.trigger, t.enabled),
  ],
);

/** Runs of a policy; deleted with it. A cron run is unique per (policy, scheduled_time). */
export const policyRuns = pgTable(
  "policy_runs",
  {
    id: uuid("id").primaryKey(),
    storeId: text("store_id").notNull(),
    policyId: uuid("policy_id")
      .notNull()
      .references(() => policies.id, { onDelete: "cascade" }),
    policyVersion: bigint("policy_version", { mode: "number" }).notNull(),
    trigger: text("trigger").notNull(),
    state: text("state").notNull(),
    scheduledTime: timestamp("scheduled_time", { withTimezone: true, precision: 6 }),
    resourceIds: jsonb("resource_ids").$type<string[]>().notNull().default([]),
    snapshotIds: jsonb("snapshot_ids").$type<string[]>().notNull().default([]),
    unchangedResourceIds: jsonb("unchanged_resource_ids").$type<string[]>().notNull().default([]),
    errors: jsonb("errors").$type<PolicyRunError[]>().notNull().default([]),
    jobId: uuid("job_id"),
    createTime: timestamp("create_time", { withTimezone: true, precision: 6 }).notNull(),
    endTime: timestamp("end_time", { withTimezone: true, precision: 6 }),
  },
  (t) => [
    index("policy_runs_time_idx").on(t.policyId, t.createTime.desc(), t.id.desc()),
    uniqueIndex("policy_runs_slot_idx").on(t.policyId, t.scheduledTime),
  ],
);

export type PolicyRow = typeof policies.$inferSelect;
export type PolicyRunRow = typeof policyRuns.$inferSelect;
