import { invalidField } from "../../domain/errors.js";
import { MOVE_STORAGE_CLASS, type TierUseCases } from "../../domain/tiers/tier-use-cases.js";
import { defineJobKind } from "../kind.js";

/**
 * MOVE_STORAGE_CLASS: moves the packs of the job's snapshot to its storage class (or, with
 * `rehydrate`, back to STANDARD, then makes the snapshot STANDARD). Repeating an attempt is safe:
 * packs already in place are skipped.
 */
export function moveStorageClassKind(deps: { tiers: Pick<TierUseCases, "move"> }) {
  return defineJobKind({
    type: MOVE_STORAGE_CLASS,
    scope: "store",
    parseParams: (raw) => {
      if (raw.rehydrate !== undefined && typeof raw.rehydrate !== "boolean") throw invalidField("params.rehydrate", "must be a boolean");
      return { rehydrate: raw.rehydrate === true };
    },
    handler: async ({ job, storeId, params, signal, log }) => {
      if (!job.snapshotId) return { ok: false, errors: [{ code: "INVALID_ARGUMENT", message: "the job names no snapshot" }] };
      const r = await deps.tiers.move(storeId, job.snapshotId, params.rehydrate, { actor: job.createdBy, requestId: `job:${job.id}` }, signal);
      log(`${r.packsMoved} packs moved, ${r.packsKeptHot} kept hotter for other snapshots`);
      return { ok: true, result: { snapshotId: job.snapshotId, details: { packs_moved: r.packsMoved, packs_kept_hot: r.packsKeptHot, storage_class: r.storageClass ?? "" } } };
    },
  });
}
