import type { Version } from "../snapshots/types.js";
import { nodeKey, versionNodeId, type Direction, type GraphEdge, type LineageEdgeSource, type NodeRef } from "./graph-types.js";

export interface WalkLimits {
  /** Hops from the roots. */
  depth: number;
  /** Most nodes, roots included. */
  maxNodes: number;
  /** Most edges. */
  maxEdges: number;
}

/** A node as the walk found it; details (snapshot, job) are added afterwards. */
export interface WalkNode {
  ref: NodeRef;
  distance: number;
  root: boolean;
  /** VERSION nodes: their version (the walk needs its snapshot to go upstream). */
  version?: Version;
}

export interface WalkResult {
  nodes: WalkNode[];
  edges: GraphEdge[];
  truncated: boolean;
}

type Way = Exclude<Direction, "BOTH">;

/**
 * Bounded breadth-first walk from `roots`, one batched read per hop and direction. BOTH is the
 * union of the UPSTREAM and the DOWNSTREAM walk: each direction expands a node at most once, so
 * cycles end, and a node reached first one way is still expanded the other way when reached so.
 * Stops adding nodes at `maxNodes` and edges at `maxEdges`, and then reports `truncated`. Edges
 * are kept only between nodes of the result, once per (kind, from, to, ordinal).
 */
export async function walkLineage(
  source: LineageEdgeSource,
  storeId: string,
  roots: readonly WalkNode[],
  direction: Direction,
  limits: WalkLimits,
): Promise<WalkResult> {
  const nodes = new Map<string, WalkNode>();
  for (const r of roots.slice(0, limits.maxNodes)) nodes.set(nodeKey(r.ref), r);
  const edges = new Map<string, GraphEdge>();
  let truncated = roots.length > limits.maxNodes;
  const ways: Way[] = direction === "BOTH" ? ["UPSTREAM", "DOWNSTREAM"] : [direction];
  const frontier = new Map<Way, WalkNode[]>(ways.map((w) => [w, [...nodes.values()]]));
  const expanded = new Map<Way, Set<string>>(ways.map((w) => [w, new Set(nodes.keys())]));

  for (let hop = 1; hop <= limits.depth; hop++) {
    for (const way of ways) {
      const front = frontier.get(way)!;
      if (front.length === 0) continue;
      const budget = limits.maxEdges - edges.size;
      if (budget <= 0) return finish(true);
      let found = await neighbours(source, storeId, front, way, budget + 1);
      if (found.length > budget) {
        truncated = true;
        found = found.slice(0, budget);
      }
      const next: WalkNode[] = [];
      for (const e of found) {
        const far = way === "DOWNSTREAM" ? e.to : e.from;
        const key = nodeKey(far);
        let node = nodes.get(key);
        if (!node) {
          if (nodes.size >= limits.maxNodes) {
            truncated = true;
            continue;
          }
          node = { ref: far, distance: hop, root: false, version: e.kind === "VERSION_OF" ? e.version : undefined };
          nodes.set(key, node);
        }
        const ek = `${e.kind}|${nodeKey(e.from)}|${nodeKey(e.to)}|${e.ordinal}`;
        if (!edges.has(ek)) edges.set(ek, e);
        const seen = expanded.get(way)!;
        if (!seen.has(key)) {
          seen.add(key);
          next.push(node);
        }
      }
      frontier.set(way, next);
    }
  }
  return finish(truncated);

  function finish(cut: boolean): WalkResult {
    return { nodes: [...nodes.values()], edges: [...edges.values()], truncated: cut };
  }
}

/** Edges one hop from `front` in direction `way`: stored ones, then VERSION_OF from the version history. */
async function neighbours(source: LineageEdgeSource, storeId: string, front: readonly WalkNode[], way: Way, limit: number): Promise<GraphEdge[]> {
  const stored = await source.edges(storeId, front.map((n) => n.ref), way, limit);
  if (stored.length >= limit) return stored;
  const versionEdges: GraphEdge[] = [];
  if (way === "DOWNSTREAM") {
    const snapshotIds = front.filter((n) => n.ref.kind === "SNAPSHOT").map((n) => n.ref.id);
    if (snapshotIds.length) {
      for (const v of await source.versionsOf(storeId, snapshotIds, limit - stored.length)) versionEdges.push(versionOf(v));
    }
  } else {
    for (const n of front) if (n.ref.kind === "VERSION" && n.version) versionEdges.push(versionOf(n.version));
  }
  return [...stored, ...versionEdges];
}

function versionOf(v: Version): GraphEdge {
  return {
    kind: "VERSION_OF",
    from: { kind: "SNAPSHOT", id: v.snapshotId },
    to: { kind: "VERSION", id: versionNodeId(v) },
    ordinal: 0,
    note: "",
    createTime: v.createTime,
    version: v,
  };
}
