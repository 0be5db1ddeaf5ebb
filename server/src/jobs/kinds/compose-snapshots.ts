import { parseComposeParams, type ComposeUseCases } from "../../domain/compose/compose-use-cases.js";
import { defineJobKind } from "../kind.js";

/**
 * COMPOSE_SNAPSHOTS: composes the parents named by the params into a new snapshot
 * (result.snapshot_id). With MANUAL resolution, conflicts fail the job with one ABORTED error each.
 */
export function composeSnapshotsKind(deps: { compose: Pick<ComposeUseCases, "run"> }) {
  return defineJobKind({
    type: "COMPOSE_SNAPSHOTS",
    scope: "store",
    parseParams: parseComposeParams,
    handler: async ({ job, storeId, params, signal, progress, log }) => {
      if (params.storeId !== storeId) return { ok: false, errors: [{ code: "INVALID_ARGUMENT", message: "job params name another store" }] };
      return deps.compose.run(job, params, { signal, progress, log });
    },
  });
}
