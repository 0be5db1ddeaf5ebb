CREATE TABLE "restore_approvals" (
	"id" uuid PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"snapshot_id" uuid NOT NULL,
	"target_service" text NOT NULL,
	"initiator_id" text NOT NULL,
	"requested_by" text NOT NULL,
	"reason" text NOT NULL,
	"state" text NOT NULL,
	"decided_by" text DEFAULT '' NOT NULL,
	"comment" text DEFAULT '' NOT NULL,
	"job_id" uuid,
	"create_time" timestamp (3) with time zone NOT NULL,
	"decide_time" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "restore_targets" (
	"store_id" text NOT NULL,
	"target_service" text NOT NULL,
	"resource_type" text NOT NULL,
	"endpoint" text NOT NULL,
	"protocol" text NOT NULL,
	"timeout_ms" integer NOT NULL,
	"critical" boolean DEFAULT false NOT NULL,
	"auth_header_name" text NOT NULL,
	"auth_secret_sealed" "bytea",
	"created_by" text NOT NULL,
	"create_time" timestamp (3) with time zone NOT NULL,
	"update_time" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "restore_targets_store_id_target_service_pk" PRIMARY KEY("store_id","target_service")
);
--> statement-breakpoint
CREATE INDEX "restore_approvals_store_time_idx" ON "restore_approvals" USING btree ("store_id","create_time" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "restore_approvals_job_uq" ON "restore_approvals" USING btree ("job_id") WHERE job_id is not null;