import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  LineageDirection,
  LineageEdgeKind,
  LineageEdgeSchema,
  LineageNodeKind,
  LineageNodeRefSchema,
  LineageNodeSchema,
  type LineageEdge as PbLineageEdge,
} from "../../../gen/vellum/v1/lineage_pb.js";
import { LineageService } from "../../../gen/vellum/v1/lineage_service_pb.js";
import type { RegisterConsumer } from "../domain/lineage/consumers.js";
import { directionOf, type GetLineage } from "../domain/lineage/get-lineage.js";
import type { GraphEdge, GraphNode, NodeRef } from "../domain/lineage/graph-types.js";
import { auditOf } from "./context.js";
import { jobToPb, snapshotToPb, ts, versionToPb } from "./convert.js";

/** Enum value by domain name; kinds recorded by a newer writer read as UNSPECIFIED. */
const byName = <E extends number>(e: Record<string, string | number>, name: string, unspecified: E): E => {
  const v = e[name];
  return typeof v === "number" ? (v as E) : unspecified;
};

const refToPb = (r: NodeRef) => create(LineageNodeRefSchema, { kind: byName(LineageNodeKind, r.kind, LineageNodeKind.UNSPECIFIED), id: r.id });

export function lineageEdgeToPb(e: GraphEdge): PbLineageEdge {
  return create(LineageEdgeSchema, {
    kind: byName(LineageEdgeKind, e.kind, LineageEdgeKind.UNSPECIFIED),
    from: refToPb(e.from),
    to: refToPb(e.to),
    jobId: e.jobId ?? "",
    ordinal: e.ordinal,
    note: e.note,
    createTime: ts(e.createTime),
  });
}

const nodeToPb = (n: GraphNode) =>
  create(LineageNodeSchema, {
    ref: refToPb(n.ref),
    distance: n.distance,
    root: n.root,
    deleted: n.deleted,
    purged: n.purged,
    snapshot: n.snapshot && snapshotToPb(n.snapshot),
    version: n.version && versionToPb(n.version),
    job: n.job && jobToPb(n.job),
  });

/** The API direction; an unknown value is INVALID_ARGUMENT (directionOf). */
const directionFromPb = (d: LineageDirection) => directionOf(d === LineageDirection.UNSPECIFIED ? undefined : (LineageDirection[d] ?? String(d)));

/** LineageService: GetLineage and RegisterConsumer. */
export function createLineageServiceImpl(deps: { lineageGraph: { getLineage: GetLineage; registerConsumer: RegisterConsumer } }): ServiceImpl<typeof LineageService> {
  const { getLineage, registerConsumer } = deps.lineageGraph;
  return {
    async getLineage(req) {
      const graph = await getLineage({ ...req, direction: directionFromPb(req.direction) });
      return { nodes: graph.nodes.map(nodeToPb), edges: graph.edges.map(lineageEdgeToPb), truncated: graph.truncated };
    },
    async registerConsumer(req, ctx) {
      const r = await registerConsumer(req, auditOf(ctx));
      return { edge: lineageEdgeToPb(r.edge), snapshotId: r.snapshotId, alreadyRegistered: r.alreadyRegistered };
    },
  };
}
