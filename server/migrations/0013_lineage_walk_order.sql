DROP INDEX "lineage_edges_from_idx";--> statement-breakpoint
DROP INDEX "lineage_edges_to_idx";--> statement-breakpoint
CREATE INDEX "lineage_edges_from_idx" ON "lineage_edges" USING btree ("store_id","from_kind","from_id","id");--> statement-breakpoint
CREATE INDEX "lineage_edges_to_idx" ON "lineage_edges" USING btree ("store_id","to_kind","to_id","id");