CREATE TABLE "lineage_edges" (
	"id" uuid PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"kind" text NOT NULL,
	"from_kind" text NOT NULL,
	"from_id" text NOT NULL,
	"to_kind" text NOT NULL,
	"to_id" text NOT NULL,
	"job_id" uuid,
	"ordinal" integer DEFAULT 0 NOT NULL,
	"note" text DEFAULT '' NOT NULL,
	"create_time" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "lineage_edges_from_idx" ON "lineage_edges" USING btree ("store_id","from_kind","from_id");--> statement-breakpoint
CREATE INDEX "lineage_edges_to_idx" ON "lineage_edges" USING btree ("store_id","to_kind","to_id");