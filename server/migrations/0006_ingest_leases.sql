CREATE TABLE "ingest_leases" (
	"id" uuid PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"start_time" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"renew_time" timestamp (6) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "orphan_objects" (
	"blob_key" text PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"first_seen" timestamp (6) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "ingest_leases_store_idx" ON "ingest_leases" USING btree ("store_id","start_time");--> statement-breakpoint
CREATE INDEX "orphan_objects_store_idx" ON "orphan_objects" USING btree ("store_id");