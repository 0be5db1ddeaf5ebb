import type { CompareUseCases } from "../domain/compare/service.js";
import type { JobHandler } from "./runner.js";

/**
 * COMPARE_SNAPSHOTS: compares the two snapshots named by the job's params and stores the output as
 * a new snapshot; the result names it (snapshot_id) and describes it (details: format, kind,
 * media_type, left/right ids, same_content, output_bytes). Domain errors (a snapshot gone, content
 * not of its type, a text diff past the edit limit) fail the job with their gRPC code.
 */
export function createCompareSnapshotsHandler(deps: { compare: Pick<CompareUseCases, "runJob"> }): JobHandler {
  return async ({ job, signal, progress, log }) => ({ ok: true, result: await deps.compare.runJob(job, { signal, progress, log }) });
}
