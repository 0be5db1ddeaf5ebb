/**
 * The lineage graph GetLineage returns, and the ports its walk reads. Stored edges (types.ts) plus
 * VERSION_OF edges derived from the version history: snapshot -> VERSION node
 * "<resource_type>/<resource_id>@<version>".
 */
import type { Job } from "../jobs/types.js";
import type { ResourceKey } from "../ports.js";
import type { Snapshot, Version } from "../snapshots/types.js";
import type { LineageEdgeKind, LineageNodeKind } from "./types.js";

export type GraphNodeKind = LineageNodeKind | "VERSION";
export type GraphEdgeKind = LineageEdgeKind | "VERSION_OF";

/**
 * A node's identity. `kind` is a string because stored edges may carry kinds recorded by a newer
 * writer; the RPC layer maps unknown kinds to UNSPECIFIED.
 */
export interface NodeRef {
  kind: GraphNodeKind | (string & {});
  id: string;
}

export interface GraphEdge {
  kind: GraphEdgeKind | (string & {});
  from: NodeRef;
  to: NodeRef;
  jobId?: string;
  ordinal: number;
  note: string;
  createTime: Date;
  /** VERSION_OF edges: the version the edge leads to. */
  version?: Version;
}

export type Direction = "UPSTREAM" | "DOWNSTREAM" | "BOTH";

export interface GraphNode {
  ref: NodeRef;
  /** Hops from the nearest root along the walk that reached it first. */
  distance: number;
  root: boolean;
  /** Soft-deleted snapshot, or a snapshot or job that no longer exists. */
  deleted: boolean;
  /** The snapshot or job no longer exists; only its edges remain. */
  purged: boolean;
  snapshot?: Snapshot;
  version?: Version;
  job?: Job;
}

export interface LineageGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  truncated: boolean;
}

/** What the walk reads, one batch per hop and direction. */
export interface LineageEdgeSource {
  /**
   * Stored edges leaving (`DOWNSTREAM`) or entering (`UPSTREAM`) any of `nodes` in the store, at
   * most `limit` in all, reading no more rows than that: the nodes' edges in the order the nodes
   * are given, each node's by edge id (record order).
   */
  edges(storeId: string, nodes: readonly NodeRef[], direction: Exclude<Direction, "BOTH">, limit: number): Promise<GraphEdge[]>;
  /** Versions (of any resource) pointing at one of the snapshots, at most `limit`. */
  versionsOf(storeId: string, snapshotIds: readonly string[], limit: number): Promise<Version[]>;
}

/** GetLineage's reads besides the walk. */
export interface LineageGraphRepository extends LineageEdgeSource {
  /** A resource's snapshots (any state) and versions, each newest first, at most `limit` of each. */
  rootsOfResource(key: ResourceKey, limit: number): Promise<{ snapshots: Snapshot[]; versions: Version[] }>;
  /** The store's snapshots (any state) among `ids` (UUIDs). */
  snapshots(storeId: string, ids: readonly string[]): Promise<Snapshot[]>;
  /** The store's jobs among `ids` (UUIDs), without log lines. */
  jobs(storeId: string, ids: readonly string[]): Promise<Job[]>;
}

export const versionNodeId = (v: Pick<Version, "resourceType" | "resourceId" | "version">) => `${v.resourceType}/${v.resourceId}@${v.version}`;
export const nodeKey = (n: NodeRef) => `${n.kind}:${n.id}`;
