import type { ImportUseCases } from "../../domain/transfer/import-use-cases.js";
import { parseImportParams } from "../../domain/transfer/job-params.js";
import { defineJobKind } from "../kind.js";

/** IMPORT_SNAPSHOT: reads an export archive or a share link into a new snapshot (result.snapshot_id). */
export function importSnapshotKind(deps: { imports: Pick<ImportUseCases, "run"> }) {
  return defineJobKind({
    type: "IMPORT_SNAPSHOT",
    scope: "store",
    parseParams: parseImportParams,
    handler: async ({ job, storeId, params, signal, progress, log }) => ({
      ok: true,
      result: await deps.imports.run(job, storeId, params, { signal, progress, log }),
    }),
  });
}
