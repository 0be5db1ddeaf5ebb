import type { ExportUseCases } from "../../domain/transfer/export-use-cases.js";
import { parseExportParams } from "../../domain/transfer/job-params.js";
import { defineJobKind } from "../kind.js";

/**
 * EXPORT_SNAPSHOT: streams a snapshot's export archive to the destination in its params; the
 * result's details name the archive (location, bytes_written, sha256, encrypted).
 */
export function exportSnapshotKind(deps: { exports: Pick<ExportUseCases, "run"> }) {
  return defineJobKind({
    type: "EXPORT_SNAPSHOT",
    scope: "store",
    parseParams: parseExportParams,
    handler: async ({ job, storeId, params, signal, progress, log }) => ({
      ok: true,
      result: await deps.exports.run(job, storeId, params, { signal, progress, log }),
    }),
  });
}
