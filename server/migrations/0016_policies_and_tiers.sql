CREATE TABLE "policies" (
	"id" uuid PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"name" text NOT NULL,
	"resource_type" text NOT NULL,
	"trigger" text NOT NULL,
	"cron_expression" text DEFAULT '' NOT NULL,
	"time_zone" text DEFAULT 'UTC' NOT NULL,
	"debounce_ms" integer DEFAULT 5000 NOT NULL,
	"retention_days" integer DEFAULT 0 NOT NULL,
	"keep_latest_n" integer DEFAULT 0 NOT NULL,
	"tags_to_include" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"scope" jsonb NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"capture_target_url" text DEFAULT '' NOT NULL,
	"resource_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_by" text NOT NULL,
	"create_time" timestamp (6) with time zone NOT NULL,
	"update_time" timestamp (6) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "policy_runs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"policy_id" uuid NOT NULL,
	"policy_version" bigint NOT NULL,
	"trigger" text NOT NULL,
	"state" text NOT NULL,
	"scheduled_time" timestamp (6) with time zone,
	"resource_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"snapshot_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"unchanged_resource_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"errors" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"job_id" uuid,
	"create_time" timestamp (6) with time zone NOT NULL,
	"end_time" timestamp (6) with time zone
);
--> statement-breakpoint
ALTER TABLE "packs" ADD COLUMN "storage_class" text DEFAULT 'STANDARD' NOT NULL;--> statement-breakpoint
ALTER TABLE "policy_runs" ADD CONSTRAINT "policy_runs_policy_id_policies_id_fk" FOREIGN KEY ("policy_id") REFERENCES "public"."policies"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "policies_name_idx" ON "policies" USING btree ("store_id","name");--> statement-breakpoint
CREATE INDEX "policies_time_idx" ON "policies" USING btree ("store_id","create_time" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "policies_trigger_idx" ON "policies" USING btree ("trigger","enabled");--> statement-breakpoint
CREATE INDEX "policy_runs_time_idx" ON "policy_runs" USING btree ("policy_id","create_time" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "policy_runs_slot_idx" ON "policy_runs" USING btree ("policy_id","scheduled_time");