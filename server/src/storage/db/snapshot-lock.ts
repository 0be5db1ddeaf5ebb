import { and, eq } from "drizzle-orm";
import { failedPrecondition, notFound } from "../../domain/errors.js";
import type { Tx } from "./audit-repo.js";
import { snapshots } from "./schema/index.js";

/**
 * Takes an ACTIVE snapshot's row lock in the caller's transaction, ordering the caller's change
 * with deletes of the snapshot: NOT_FOUND when the store has no such snapshot, FAILED_PRECONDITION
 * (SNAPSHOT_DELETED, "it cannot be <verb>") when it is soft-deleted. `strength` "no key update"
 * lets rows referencing the snapshot (versions) be inserted meanwhile.
 */
export async function lockActiveSnapshotTx(tx: Tx, storeId: string, snapshotId: string, verb: string, strength: "update" | "no key update" = "update"): Promise<void> {
  const [snap] = await tx
    .select({ state: snapshots.state })
    .from(snapshots)
    .where(and(eq(snapshots.storeId, storeId), eq(snapshots.id, snapshotId)))
    .for(strength);
  if (!snap) throw notFound("snapshot", snapshotId);
  if (snap.state !== "ACTIVE") throw failedPrecondition(`snapshot is deleted; it cannot be ${verb}`, "SNAPSHOT_DELETED");
}
