import { and, eq, sql } from "drizzle-orm";
import { snapshotState } from "../../domain/audit/resource-states.js";
import { aborted } from "../../domain/errors.js";
import type { SnapshotMetadataRepository } from "../../domain/snapshots/metadata-updates.js";
import { snapshotEtag } from "../../domain/snapshots/types.js";
import { appendAuditTx } from "./audit-repo.js";
import type { Db } from "./client.js";
import { toSnapshot } from "./mappers.js";
import { snapshots } from "./schema/index.js";

/** Etag-checked metadata updates under the row lock, audited in the same transaction. */
export function createSnapshotMetadataRepository(db: Db): SnapshotMetadataRepository {
  return {
    async update(storeId, id, opts) {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .select()
          .from(snapshots)
          .where(and(eq(snapshots.storeId, storeId), eq(snapshots.id, id)))
          .for("update");
        if (!row) return undefined;
        const before = toSnapshot(row);
        if (opts.etag !== undefined && opts.etag !== snapshotEtag(before)) {
          throw aborted("etag does not match the snapshot's current etag", "ETAG_MISMATCH");
        }
        const patch = opts.change(before);
        if (!patch) return before;
        const [updated] = await tx
          .update(snapshots)
          .set({ ...patch, generation: sql`${snapshots.generation} + 1` })
          .where(eq(snapshots.id, id))
          .returning();
        const after = toSnapshot(updated);
        await appendAuditTx(tx, opts.audit, {
          storeId,
          action: opts.action,
          resourceType: "snapshot",
          resourceId: id,
          before: snapshotState(before),
          after: snapshotState(after),
        });
        return after;
      });
    },
  };
}
