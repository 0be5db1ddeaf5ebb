CREATE TABLE "snapshot_annotations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"snapshot_id" uuid NOT NULL,
	"author_id" text NOT NULL,
	"message" text NOT NULL,
	"created_by" text NOT NULL,
	"create_time" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tag_counts" (
	"store_id" text NOT NULL,
	"tag" text NOT NULL,
	"live_count" bigint NOT NULL,
	CONSTRAINT "tag_counts_store_id_tag_pk" PRIMARY KEY("store_id","tag")
);
--> statement-breakpoint
ALTER TABLE "snapshots" ADD COLUMN "resource_version" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "snapshot_annotations" ADD CONSTRAINT "snapshot_annotations_snapshot_id_snapshots_id_fk" FOREIGN KEY ("snapshot_id") REFERENCES "public"."snapshots"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "snapshot_annotations_snapshot_idx" ON "snapshot_annotations" USING btree ("snapshot_id","create_time" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "tag_counts_rank_idx" ON "tag_counts" USING btree ("store_id","live_count" DESC NULLS LAST,"tag");--> statement-breakpoint
CREATE UNIQUE INDEX "snapshots_resource_version_idx" ON "snapshots" USING btree ("store_id","resource_type","resource_id","resource_version") WHERE "snapshots"."resource_version" <> '';