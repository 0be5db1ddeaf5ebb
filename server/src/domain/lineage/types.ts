/**
 * Lineage: where snapshots come from and where they go. Edges point downstream, from the upstream
 * node to the node derived from it or depending on it. VERSION_OF edges are not stored: they are
 * the version history itself (versions table).
 */

/** What a lineage node stands for. */
export type LineageNodeKind =
  /** A snapshot of this store; id = snapshot id. */
  | "SNAPSHOT"
  /** A job of this store; id = job id. */
  | "JOB"
  /** A live resource of an owning service; id = "<target_service>/<resource_type>/<resource_id>". */
  | "RESOURCE"
  /** A downstream consumer (a CDN publish, a search index build); id = the consumer's name. */
  | "CONSUMER"
  /** Something outside this store: an import source URL, a share link, another Vellum; id = its address without credentials. */
  | "EXTERNAL";

export interface LineageNode {
  kind: LineageNodeKind;
  id: string;
}

/**
 * - PRODUCED_BY: job -> snapshot it created (restore captures, compose, import, policy runs).
 * - COMPOSED_FROM: parent snapshot -> composed snapshot (one edge per parent, `ordinal` = position).
 * - RESTORED_FROM: snapshot -> resource it was restored into.
 * - IMPORTED_FROM: external source (or another store's snapshot) -> imported snapshot.
 * - CONSUMED_BY: snapshot -> consumer (RegisterConsumer, exports).
 * - CAPTURED_FROM: resource -> snapshot of its state (pre-restore captures, capture policies).
 */
export type LineageEdgeKind = "PRODUCED_BY" | "COMPOSED_FROM" | "RESTORED_FROM" | "IMPORTED_FROM" | "CONSUMED_BY" | "CAPTURED_FROM";

export interface LineageEdge {
  storeId: string;
  kind: LineageEdgeKind;
  from: LineageNode;
  to: LineageNode;
  /** The job that made the edge, if any. */
  jobId?: string;
  /** Position among edges of one kind into one node (compose parents), 0-based. */
  ordinal?: number;
  /** Free text: the consumer's note, the restore's target service, ... (at most 1024 characters). */
  note?: string;
}

/** Writes lineage edges. `tx` is the caller's transaction when the edge must land with the change. */
export interface LineageRecorder {
  record(edges: readonly LineageEdge[], tx?: unknown): Promise<void>;
}
