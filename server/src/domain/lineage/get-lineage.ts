import { invalidField, notFound } from "../errors.js";
import type { Job } from "../jobs/types.js";
import type { Snapshot } from "../snapshots/types.js";
import type { ResourceKey } from "../ports.js";
import { UUID_RE, Validator } from "../validate.js";
import { versionNodeId, type Direction, type GraphNode, type LineageGraph, type LineageGraphRepository } from "./graph-types.js";
import { checkTarget, type SnapshotOrResource } from "./target.js";
import { walkLineage, type WalkNode } from "./walk.js";

export const DEFAULT_LINEAGE_DEPTH = 3;
export const MAX_LINEAGE_DEPTH = 10;
export const DEFAULT_LINEAGE_NODES = 500;
export const MAX_LINEAGE_NODES = 5000;
/** Edges per node the walk may return (a graph's edge limit is this times its node limit). */
export const LINEAGE_EDGES_PER_NODE = 4;

export interface LineageQuery extends SnapshotOrResource {
  /** 0 = default; clamped to MAX_LINEAGE_DEPTH. */
  depth: number;
  direction: Direction;
  /** 0 = default; clamped to MAX_LINEAGE_NODES. */
  maxNodes: number;
}

/** Validates the root and returns the walk's bounds. */
function checkQuery(q: LineageQuery): { key?: ResourceKey; depth: number; maxNodes: number } {
  const v = new Validator();
  const key = checkTarget(v, q);
  if (q.depth < 0) v.add("depth", "must not be negative");
  if (q.maxNodes < 0) v.add("max_nodes", "must not be negative");
  v.throwIfAny();
  return {
    key,
    depth: Math.min(q.depth || DEFAULT_LINEAGE_DEPTH, MAX_LINEAGE_DEPTH),
    maxNodes: Math.min(q.maxNodes || DEFAULT_LINEAGE_NODES, MAX_LINEAGE_NODES),
  };
}

/**
 * GetLineage: the bounded walk from a snapshot, or from every snapshot and version of a resource
 * (newest first), then the details of the nodes it reached. Deleted snapshots stay in the graph
 * marked `deleted`; purged snapshots and vanished jobs stay as `purged` nodes without details, as
 * their edges outlive them.
 */
export function createGetLineage(deps: { graph: LineageGraphRepository }) {
  const { graph } = deps;
  return async function getLineage(q: LineageQuery): Promise<LineageGraph> {
    const { key, depth, maxNodes } = checkQuery(q);
    const known = new Map<string, Snapshot>();
    let roots: WalkNode[];
    if (!key) {
      roots = [{ ref: { kind: "SNAPSHOT", id: q.snapshotId.toLowerCase() }, distance: 0, root: true }];
    } else {
      const found = await graph.rootsOfResource(key, maxNodes + 1);
      if (found.snapshots.length === 0 && found.versions.length === 0) throw notFound("resource", `${q.resourceType}/${q.resourceId}`);
      for (const s of found.snapshots) known.set(s.id, s);
      const timed = [
        ...found.snapshots.map((s) => ({ t: s.createTime, node: { ref: { kind: "SNAPSHOT", id: s.id }, distance: 0, root: true } as WalkNode })),
        ...found.versions.map((v) => ({ t: v.createTime, node: { ref: { kind: "VERSION", id: versionNodeId(v) }, distance: 0, root: true, version: v } as WalkNode })),
      ];
      // Newest first; a version before the snapshot it was committed from (it is never older).
      const rank = (n: WalkNode) => (n.ref.kind === "VERSION" ? 0 : 1);
      roots = timed.sort((a, b) => b.t.getTime() - a.t.getTime() || rank(a.node) - rank(b.node)).map((x) => x.node);
    }

    const walked = await walkLineage(graph, q.storeId, roots, q.direction, { depth, maxNodes, maxEdges: maxNodes * LINEAGE_EDGES_PER_NODE });

    const idsOf = (kind: string) => walked.nodes.filter((n) => n.ref.kind === kind && UUID_RE.test(n.ref.id)).map((n) => n.ref.id);
    const missing = idsOf("SNAPSHOT").filter((id) => !known.has(id));
    if (missing.length) for (const s of await graph.snapshots(q.storeId, missing)) known.set(s.id, s);
    const jobIds = idsOf("JOB");
    const jobs = new Map<string, Job>(jobIds.length ? (await graph.jobs(q.storeId, jobIds)).map((j) => [j.id, j]) : []);

    if (q.snapshotId && !known.has(q.snapshotId.toLowerCase()) && walked.edges.length === 0) throw notFound("snapshot", q.snapshotId);

    const nodes = walked.nodes.map((n): GraphNode => {
      const base = { ref: n.ref, distance: n.distance, root: n.root, deleted: false, purged: false };
      if (n.ref.kind === "SNAPSHOT") {
        const snapshot = known.get(n.ref.id);
        return snapshot ? { ...base, snapshot, deleted: snapshot.state !== "ACTIVE" } : { ...base, deleted: true, purged: true };
      }
      if (n.ref.kind === "JOB") {
        const job = jobs.get(n.ref.id);
        return job ? { ...base, job } : { ...base, deleted: true, purged: true };
      }
      return n.version ? { ...base, version: n.version } : base;
    });
    return { nodes, edges: walked.edges, truncated: walked.truncated };
  };
}

export type GetLineage = ReturnType<typeof createGetLineage>;

/** The walk direction of an API value; undefined (unset) is BOTH. */
export function directionOf(value: string | undefined): Direction {
  if (value === undefined || value === "BOTH") return "BOTH";
  if (value === "UPSTREAM" || value === "DOWNSTREAM") return value;
  throw invalidField("direction", "must be UPSTREAM, DOWNSTREAM or BOTH");
}
