import { and, asc, eq } from "drizzle-orm";
import type { ConsumerRepository } from "../../domain/lineage/consumers.js";
import type { LineageEdge, LineageRecorder } from "../../domain/lineage/types.js";
import { appendAuditTx, type Tx } from "./audit-repo.js";
import type { Db } from "./client.js";
import { rowToGraphEdge } from "./lineage-graph-repo.js";
import { lineageEdges } from "./schema/index.js";
import { lockActiveSnapshotTx } from "./snapshot-lock.js";

/**
 * RegisterConsumer's writes. The snapshot's row lock (FOR NO KEY UPDATE) serialises registrations
 * of one snapshot, so two concurrent calls for one consumer record one edge, and orders them with
 * deletes; the edge goes through the lineage recorder in the same transaction as its audit event.
 */
export function createConsumerRepository(db: Db, recorder: LineageRecorder): ConsumerRepository {
  const existing = (tx: Tx, storeId: string, snapshotId: string, consumer: string) =>
    tx
      .select()
      .from(lineageEdges)
      .where(
        and(
          eq(lineageEdges.storeId, storeId),
          eq(lineageEdges.fromKind, "SNAPSHOT"),
          eq(lineageEdges.fromId, snapshotId),
          eq(lineageEdges.kind, "CONSUMED_BY"),
          eq(lineageEdges.toKind, "CONSUMER"),
          eq(lineageEdges.toId, consumer),
        ),
      )
      .orderBy(asc(lineageEdges.id))
      .limit(1);

  return {
    register(r, audit) {
      return db.transaction(async (tx) => {
        await lockActiveSnapshotTx(tx, r.storeId, r.snapshotId, "consumed", "no key update");
        const [before] = await existing(tx, r.storeId, r.snapshotId, r.consumer);
        if (before) return { edge: rowToGraphEdge(before), created: false };
        const edge: LineageEdge = {
          storeId: r.storeId,
          kind: "CONSUMED_BY",
          from: { kind: "SNAPSHOT", id: r.snapshotId },
          to: { kind: "CONSUMER", id: r.consumer },
          note: r.note,
        };
        await recorder.record([edge], tx);
        const [row] = await existing(tx, r.storeId, r.snapshotId, r.consumer);
        await appendAuditTx(tx, audit, {
          storeId: r.storeId,
          action: "snapshot.consume",
          resourceType: "snapshot",
          resourceId: r.snapshotId,
          before: null,
          after: { snapshotId: r.snapshotId, consumer: r.consumer, note: row.note },
        });
        return { edge: rowToGraphEdge(row), created: true };
      });
    },
  };
}
