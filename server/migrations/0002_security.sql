CREATE TABLE "api_keys" (
	"key_id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"secret_hash" text NOT NULL,
	"scopes" text[] NOT NULL,
	"stores" text[] NOT NULL,
	"all_stores" boolean DEFAULT false NOT NULL,
	"expire_time" timestamp (3) with time zone,
	"revoked" boolean DEFAULT false NOT NULL,
	"revoke_time" timestamp (3) with time zone,
	"created_by" text NOT NULL,
	"create_time" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"id" uuid PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"seq" bigint NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"resource_type" text NOT NULL,
	"resource_id" text NOT NULL,
	"snapshot_id" text,
	"before" jsonb,
	"after" jsonb,
	"request_id" text NOT NULL,
	"time" timestamp (3) with time zone NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_heads" (
	"store_id" text PRIMARY KEY NOT NULL,
	"seq" bigint NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "shares" (
	"id" uuid PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"snapshot_id" uuid NOT NULL,
	"access" text NOT NULL,
	"allowed_ips" text[] NOT NULL,
	"note" text DEFAULT '' NOT NULL,
	"kid" text NOT NULL,
	"created_by" text NOT NULL,
	"create_time" timestamp (3) with time zone NOT NULL,
	"expire_time" timestamp (3) with time zone NOT NULL,
	"revoked" boolean DEFAULT false NOT NULL,
	"revoke_time" timestamp (3) with time zone,
	"use_count" bigint DEFAULT 0 NOT NULL,
	"last_use_time" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE INDEX "api_keys_time_idx" ON "api_keys" USING btree ("create_time" DESC NULLS LAST,"key_id" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "audit_events_store_seq_idx" ON "audit_events" USING btree ("store_id","seq");--> statement-breakpoint
CREATE INDEX "audit_events_snapshot_idx" ON "audit_events" USING btree ("store_id","snapshot_id","seq");--> statement-breakpoint
CREATE INDEX "audit_events_time_idx" ON "audit_events" USING btree ("store_id","time");--> statement-breakpoint
CREATE INDEX "shares_store_time_idx" ON "shares" USING btree ("store_id","create_time" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "shares_snapshot_idx" ON "shares" USING btree ("store_id","snapshot_id");