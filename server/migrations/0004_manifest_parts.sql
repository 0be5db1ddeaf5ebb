CREATE TABLE "manifest_parts" (
	"manifest_id" uuid NOT NULL,
	"part" integer NOT NULL,
	"body" "bytea" NOT NULL,
	CONSTRAINT "manifest_parts_manifest_id_part_pk" PRIMARY KEY("manifest_id","part")
);
--> statement-breakpoint
ALTER TABLE "manifest_parts" ADD CONSTRAINT "manifest_parts_manifest_id_manifests_id_fk" FOREIGN KEY ("manifest_id") REFERENCES "public"."manifests"("id") ON DELETE cascade ON UPDATE no action;