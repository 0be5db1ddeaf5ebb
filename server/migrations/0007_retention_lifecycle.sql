CREATE TABLE "retention_rules" (
	"id" uuid PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"name" text NOT NULL,
	"tag" text DEFAULT '' NOT NULL,
	"resource_type" text DEFAULT '' NOT NULL,
	"keep_latest_n" integer DEFAULT 0 NOT NULL,
	"keep_within_days" integer DEFAULT 0 NOT NULL,
	"keep_daily" integer DEFAULT 0 NOT NULL,
	"keep_weekly" integer DEFAULT 0 NOT NULL,
	"keep_monthly" integer DEFAULT 0 NOT NULL,
	"keep_yearly" integer DEFAULT 0 NOT NULL,
	"delete_older_than_days" integer DEFAULT 0 NOT NULL,
	"exclude_pinned" boolean DEFAULT true NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"time_zone" text DEFAULT 'UTC' NOT NULL,
	"generation" integer DEFAULT 1 NOT NULL,
	"created_by" text NOT NULL,
	"create_time" timestamp (6) with time zone NOT NULL,
	"update_time" timestamp (6) with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "snapshots" ADD COLUMN "purge_time" timestamp (6) with time zone;--> statement-breakpoint
ALTER TABLE "snapshots" ADD COLUMN "pin_reason" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "snapshots" ADD COLUMN "pin_expire_time" timestamp (6) with time zone;--> statement-breakpoint
ALTER TABLE "snapshots" ADD COLUMN "lock_reason" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "snapshots" ADD COLUMN "lock_expire_time" timestamp (6) with time zone;--> statement-breakpoint
ALTER TABLE "snapshots" ADD COLUMN "held" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "snapshots" ADD COLUMN "hold_reason" text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "retention_rules_name_idx" ON "retention_rules" USING btree ("store_id","name");--> statement-breakpoint
CREATE INDEX "retention_rules_time_idx" ON "retention_rules" USING btree ("store_id","create_time" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "snapshots_expire_idx" ON "snapshots" USING btree ("expire_time") WHERE "snapshots"."state" = 'ACTIVE' and "snapshots"."expire_time" is not null;--> statement-breakpoint
CREATE INDEX "snapshots_purge_idx" ON "snapshots" USING btree ("purge_time") WHERE "snapshots"."state" = 'DELETED';--> statement-breakpoint
CREATE INDEX "snapshots_retention_idx" ON "snapshots" USING btree ("store_id","resource_type","resource_id","create_time","id") WHERE "snapshots"."state" = 'ACTIVE';