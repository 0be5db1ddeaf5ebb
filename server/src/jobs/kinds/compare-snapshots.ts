import { compareJobParams } from "../../domain/compare/request.js";
import type { CompareUseCases } from "../../domain/compare/service.js";
import { defineJobKind } from "../kind.js";

/**
 * COMPARE_SNAPSHOTS: compares the two snapshots named by the job's params and stores the output as
 * a new snapshot; the result names it (snapshot_id) and describes it (details: format, kind,
 * media_type, left/right ids, same_content, output_bytes). Domain errors (a snapshot gone, content
 * not of its type, a text diff past the edit limit) fail the job with their gRPC code.
 */
export function compareSnapshotsKind(deps: { compare: Pick<CompareUseCases, "runJob"> }) {
  return defineJobKind({
    type: "COMPARE_SNAPSHOTS",
    scope: "store",
    parseParams: compareJobParams,
    handler: async ({ job, storeId, params, signal, progress, log }) => {
      if (params.storeId !== storeId) {
        return { ok: false, errors: [{ code: "INVALID_ARGUMENT", message: "job params name another store" }] };
      }
      return { ok: true, result: await deps.compare.runJob(job, params, { signal, progress, log }) };
    },
  });
}
