CREATE TABLE "chunks" (
	"store_id" text NOT NULL,
	"digest" "bytea" NOT NULL,
	"encrypted" boolean NOT NULL,
	"pack_id" text NOT NULL,
	"offset" bigint NOT NULL,
	"length" integer NOT NULL,
	"plain_size" integer NOT NULL,
	"codec" smallint NOT NULL,
	"create_time" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"last_seen" timestamp (6) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "chunks_store_id_digest_encrypted_pk" PRIMARY KEY("store_id","digest","encrypted")
);
--> statement-breakpoint
CREATE TABLE "manifests" (
	"id" uuid PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"size" bigint NOT NULL,
	"sha256" text NOT NULL,
	"chunk_count" integer NOT NULL,
	"encrypted" boolean NOT NULL,
	"body" "bytea" NOT NULL,
	"create_time" timestamp (6) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "packs" (
	"store_id" text NOT NULL,
	"pack_id" text NOT NULL,
	"blob_key" text NOT NULL,
	"size" bigint NOT NULL,
	"create_time" timestamp (6) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "packs_store_id_pack_id_pk" PRIMARY KEY("store_id","pack_id")
);
--> statement-breakpoint
CREATE TABLE "store_keys" (
	"store_id" text PRIMARY KEY NOT NULL,
	"kms_key_id" text NOT NULL,
	"wrapped_key" "bytea" NOT NULL,
	"create_time" timestamp (6) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "uploads" (
	"id" uuid PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL,
	"header" "bytea" NOT NULL,
	"state" text NOT NULL,
	"committed_size" bigint DEFAULT 0 NOT NULL,
	"segments" integer DEFAULT 0 NOT NULL,
	"manifest" "bytea",
	"snapshot_id" uuid,
	"created_by" text NOT NULL,
	"create_time" timestamp (6) with time zone NOT NULL,
	"update_time" timestamp (6) with time zone NOT NULL,
	"expire_time" timestamp (6) with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "chunks_pack_idx" ON "chunks" USING btree ("store_id","pack_id");--> statement-breakpoint
CREATE INDEX "manifests_store_idx" ON "manifests" USING btree ("store_id","create_time");--> statement-breakpoint
CREATE INDEX "uploads_expire_idx" ON "uploads" USING btree ("state","expire_time");