CREATE TABLE "content_objects" (
	"store_id" text NOT NULL,
	"sha256" text NOT NULL,
	"size" bigint NOT NULL,
	"stored_size" bigint NOT NULL,
	"blob_key" text NOT NULL,
	"create_time" timestamp (6) with time zone NOT NULL,
	CONSTRAINT "content_objects_store_id_sha256_pk" PRIMARY KEY("store_id","sha256")
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"store_id" text NOT NULL,
	"method" text NOT NULL,
	"key" text NOT NULL,
	"fingerprint" text NOT NULL,
	"result_id" text NOT NULL,
	"create_time" timestamp (6) with time zone NOT NULL,
	"expire_time" timestamp (6) with time zone NOT NULL,
	CONSTRAINT "idempotency_keys_store_id_method_key_pk" PRIMARY KEY("store_id","method","key")
);
--> statement-breakpoint
CREATE TABLE "jobs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"type" text NOT NULL,
	"state" text NOT NULL,
	"priority" integer DEFAULT 5 NOT NULL,
	"progress_percent" integer DEFAULT 0 NOT NULL,
	"snapshot_id" uuid,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"result" jsonb,
	"errors" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_by" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"cancel_requested" boolean DEFAULT false NOT NULL,
	"lease_owner" text,
	"lease_expire_time" timestamp (6) with time zone,
	"create_time" timestamp (6) with time zone NOT NULL,
	"start_time" timestamp (6) with time zone,
	"end_time" timestamp (6) with time zone,
	"update_time" timestamp (6) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "snapshots" (
	"id" uuid PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"resource_type" text NOT NULL,
	"resource_id" text DEFAULT '' NOT NULL,
	"snapshot_type" text NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL,
	"generation" integer DEFAULT 1 NOT NULL,
	"size" bigint NOT NULL,
	"stored_size" bigint NOT NULL,
	"sha256" text NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"labels" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"commit_message" text DEFAULT '' NOT NULL,
	"channel" text DEFAULT '' NOT NULL,
	"locale" text DEFAULT '' NOT NULL,
	"job_id" text DEFAULT '' NOT NULL,
	"created_by" text NOT NULL,
	"state" text NOT NULL,
	"pinned" boolean DEFAULT false NOT NULL,
	"locked" boolean DEFAULT false NOT NULL,
	"storage_class" text DEFAULT 'STANDARD' NOT NULL,
	"encrypted" boolean DEFAULT false NOT NULL,
	"encryption_algorithm" text DEFAULT '' NOT NULL,
	"encryption_key_id" text DEFAULT '' NOT NULL,
	"content_ref" text NOT NULL,
	"create_time" timestamp (6) with time zone NOT NULL,
	"expire_time" timestamp (6) with time zone,
	"delete_time" timestamp (6) with time zone
);
--> statement-breakpoint
CREATE TABLE "resources" (
	"store_id" text NOT NULL,
	"resource_type" text NOT NULL,
	"resource_id" text NOT NULL,
	"latest_version" bigint NOT NULL,
	CONSTRAINT "resources_store_id_resource_type_resource_id_pk" PRIMARY KEY("store_id","resource_type","resource_id")
);
--> statement-breakpoint
CREATE TABLE "versions" (
	"store_id" text NOT NULL,
	"resource_type" text NOT NULL,
	"resource_id" text NOT NULL,
	"version" bigint NOT NULL,
	"snapshot_id" uuid NOT NULL,
	"author_id" text NOT NULL,
	"notes" text DEFAULT '' NOT NULL,
	"message" text DEFAULT '' NOT NULL,
	"create_time" timestamp (6) with time zone NOT NULL,
	CONSTRAINT "versions_store_id_resource_type_resource_id_version_pk" PRIMARY KEY("store_id","resource_type","resource_id","version")
);
--> statement-breakpoint
ALTER TABLE "versions" ADD CONSTRAINT "versions_snapshot_id_snapshots_id_fk" FOREIGN KEY ("snapshot_id") REFERENCES "public"."snapshots"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "jobs_claim_idx" ON "jobs" USING btree ("state","priority" DESC NULLS LAST,"create_time");--> statement-breakpoint
CREATE INDEX "jobs_store_time_idx" ON "jobs" USING btree ("store_id","create_time" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "snapshots_store_time_idx" ON "snapshots" USING btree ("store_id","create_time" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "snapshots_resource_idx" ON "snapshots" USING btree ("store_id","resource_type","resource_id","create_time" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "snapshots_content_idx" ON "snapshots" USING btree ("store_id","content_ref");--> statement-breakpoint
CREATE INDEX "snapshots_tags_idx" ON "snapshots" USING gin ("tags");--> statement-breakpoint
CREATE INDEX "snapshots_labels_idx" ON "snapshots" USING gin ("labels" jsonb_path_ops);--> statement-breakpoint
CREATE INDEX "versions_snapshot_idx" ON "versions" USING btree ("snapshot_id");