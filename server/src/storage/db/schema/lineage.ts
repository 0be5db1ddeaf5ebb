import { index, integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * Lineage edges (domain/lineage/types.ts), written by the jobs and RPCs that derive or consume
 * snapshots, in the transaction of the change where they can. Edges are never updated; they go with
 * their store. Both directions are indexed for GetLineage's walks, each node's edges in id (record)
 * order, so a walk reads a bounded prefix of a node's edges however many it has.
 */
export const lineageEdges = pgTable(
  "lineage_edges",
  {
    id: uuid("id").primaryKey(),
    storeId: text("store_id").notNull(),
    kind: text("kind").notNull(),
    fromKind: text("from_kind").notNull(),
    fromId: text("from_id").notNull(),
    toKind: text("to_kind").notNull(),
    toId: text("to_id").notNull(),
    jobId: uuid("job_id"),
    ordinal: integer("ordinal").notNull().default(0),
    note: text("note").notNull().default(""),
    createTime: timestamp("create_time", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    index("lineage_edges_from_idx").on(t.storeId, t.fromKind, t.fromId, t.id),
    index("lineage_edges_to_idx").on(t.storeId, t.toKind, t.toId, t.id),
  ],
);

export type LineageEdgeRow = typeof lineageEdges.$inferSelect;
