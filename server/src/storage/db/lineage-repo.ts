import { uuidv7 } from "uuidv7";
import type { LineageEdge, LineageRecorder } from "../../domain/lineage/types.js";
import type { Db } from "./client.js";
import type { Tx } from "./audit-repo.js";
import { lineageEdges } from "./schema/index.js";

const MAX_NOTE = 1024;

/** Inserts lineage edges, in the caller's transaction when one is given. */
export function createLineageRecorder(db: Db): LineageRecorder {
  return {
    async record(edges, tx) {
      if (edges.length === 0) return;
      const target = (tx as Tx | undefined) ?? db;
      await target.insert(lineageEdges).values(edges.map(toRow));
    },
  };
}

function toRow(e: LineageEdge) {
  return {
    id: uuidv7(),
    storeId: e.storeId,
    kind: e.kind,
    fromKind: e.from.kind,
    fromId: e.from.id,
    toKind: e.to.kind,
    toId: e.to.id,
    jobId: e.jobId ?? null,
    ordinal: e.ordinal ?? 0,
    note: (e.note ?? "").slice(0, MAX_NOTE),
  };
}
