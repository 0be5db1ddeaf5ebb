/**
 * Typed wrappers of LineageService: GetLineage as an indexed graph (nodes by key, parents and
 * children of a node), and RegisterConsumer.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { LineageNodeKind, type LineageEdge, type LineageNode, type LineageNodeRef } from "../../gen/vellum/v1/lineage_pb.js";
import type { GetLineageRequestSchema, RegisterConsumerRequestSchema, RegisterConsumerResponse } from "../../gen/vellum/v1/lineage_service_pb.js";
import type { CallOptions, VellumClient } from "./client.js";

type Lineage = Pick<VellumClient, "lineage">;

/** "SNAPSHOT:<id>", "VERSION:<type>/<id>@<n>", ...: a node's key, unique within a graph. */
export function lineageKey(ref: Pick<LineageNodeRef, "kind" | "id"> | undefined): string {
  return ref ? `${LineageNodeKind[ref.kind] ?? ref.kind}:${ref.id}` : "";
}

/** One neighbour of a node: the edge between them and the node at its other end. */
export interface LineageLink {
  edge: LineageEdge;
  node: LineageNode;
}

/** GetLineage's answer with lookups over it. Nodes and edges are as the server sent them. */
export interface LineageGraph {
  nodes: LineageNode[];
  edges: LineageEdge[];
  /** More lineage exists within the depth than the node or edge limit let through. */
  truncated: boolean;
  /** The nodes the request named (the snapshot, or the resource's snapshots and versions), newest first. */
  roots: LineageNode[];
  /** The node with this key (lineageKey) or ref, if in the graph. */
  node(ref: string | Pick<LineageNodeRef, "kind" | "id">): LineageNode | undefined;
  /** Upstream neighbours: edges into the node, each with the node it comes from. */
  parents(ref: string | Pick<LineageNodeRef, "kind" | "id">): LineageLink[];
  /** Downstream neighbours: edges out of the node, each with the node it leads to. */
  children(ref: string | Pick<LineageNodeRef, "kind" | "id">): LineageLink[];
}

/** Indexes a GetLineage response (or any nodes and edges of one graph). */
export function lineageGraph(res: { nodes: LineageNode[]; edges: LineageEdge[]; truncated: boolean }): LineageGraph {
  const byKey = new Map(res.nodes.map((n) => [lineageKey(n.ref), n]));
  const into = new Map<string, LineageLink[]>();
  const outOf = new Map<string, LineageLink[]>();
  const push = (m: Map<string, LineageLink[]>, k: string, l: LineageLink) => (m.get(k) ?? m.set(k, []).get(k)!).push(l);
  for (const edge of res.edges) {
    const from = byKey.get(lineageKey(edge.from));
    const to = byKey.get(lineageKey(edge.to));
    if (!from || !to) continue;
    push(outOf, lineageKey(edge.from), { edge, node: to });
    push(into, lineageKey(edge.to), { edge, node: from });
  }
  const keyOf = (ref: string | Pick<LineageNodeRef, "kind" | "id">) => (typeof ref === "string" ? ref : lineageKey(ref));
  return {
    nodes: res.nodes,
    edges: res.edges,
    truncated: res.truncated,
    roots: res.nodes.filter((n) => n.root),
    node: (ref) => byKey.get(keyOf(ref)),
    parents: (ref) => into.get(keyOf(ref)) ?? [],
    children: (ref) => outOf.get(keyOf(ref)) ?? [],
  };
}

/**
 * The lineage graph around a snapshot (`snapshotId`) or a resource (`resourceType` and
 * `resourceId`), `depth` hops (default 3) UPSTREAM, DOWNSTREAM or BOTH (default), at most
 * `maxNodes` nodes (default 500; `truncated` says when more exists).
 */
export async function getLineage(client: Lineage, req: MessageInitShape<typeof GetLineageRequestSchema>, options: CallOptions = {}): Promise<LineageGraph> {
  return lineageGraph(await client.lineage.getLineage(req, options));
}

/**
 * Records that `consumer` uses a snapshot (or a resource's newest live snapshot): once per
 * (snapshot, consumer); a repeat returns the first registration with `alreadyRegistered`.
 */
export function registerConsumer(
  client: Lineage,
  req: MessageInitShape<typeof RegisterConsumerRequestSchema>,
  options: CallOptions = {},
): Promise<RegisterConsumerResponse> {
  return client.lineage.registerConsumer(req, options);
}
