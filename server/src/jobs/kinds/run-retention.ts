import { invalidField } from "../../domain/errors.js";
import type { RetentionUseCases, RunReport } from "../../domain/retention/retention-use-cases.js";
import { defineJobKind } from "../kind.js";

/** The job result details of a retention run (RetentionService.RunRetention documents them). */
export const runReportDetails = (r: RunReport): Record<string, unknown> => ({
  dry_run: r.dryRun,
  evaluate_time: r.evaluateTime.toISOString(),
  considered_count: r.totals.consideredCount,
  keep_count: r.totals.keepCount,
  delete_count: r.totals.deleteCount,
  delete_logical_bytes: r.totals.deleteLogicalBytes,
  reclaimable_bytes: r.totals.reclaimableBytes,
  deleted_count: r.deletedCount,
  skipped_count: r.skippedCount,
  deleted_snapshot_ids: r.deletedSnapshotIds,
});

export interface RunRetentionParams {
  dryRun: boolean;
  /** The principal and request that asked for the run: deletions are audited under them. */
  auditActor?: string;
  auditRequestId?: string;
}

const optionalText = (raw: Record<string, unknown>, name: string): string | undefined => {
  const v = raw[name];
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v.length > 512) throw invalidField(`params.${name}`, "must be a string of at most 512 characters");
  return v;
};

/**
 * RUN_RETENTION: runs the store's retention rules (RetentionUseCases.run) as the principal that
 * asked for the run; `dryRun` deletes nothing. Repeating an attempt is safe: a second run deletes
 * only what the rules still select.
 */
export function runRetentionKind(deps: { retention: Pick<RetentionUseCases, "run"> }) {
  return defineJobKind({
    type: "RUN_RETENTION",
    scope: "store",
    parseParams: (raw): RunRetentionParams => {
      if (raw.dryRun !== undefined && typeof raw.dryRun !== "boolean") throw invalidField("params.dryRun", "must be a boolean");
      const p: RunRetentionParams = { dryRun: raw.dryRun === true };
      const auditActor = optionalText(raw, "auditActor");
      const auditRequestId = optionalText(raw, "auditRequestId");
      if (auditActor) p.auditActor = auditActor;
      if (auditRequestId) p.auditRequestId = auditRequestId;
      return p;
    },
    handler: async ({ job, storeId, params, signal, progress, log }) => {
      const report = await deps.retention.run(storeId, {
        dryRun: params.dryRun,
        audit: { actor: params.auditActor || job.createdBy, requestId: params.auditRequestId || `job:${job.id}` },
        jobId: job.id,
        signal,
        progress,
      });
      log(
        `${report.dryRun ? "dry run: " : ""}${report.totals.consideredCount} considered, ${report.totals.deleteCount} selected, ` +
          `${report.deletedCount} deleted, ${report.skippedCount} skipped as protected since the evaluation`,
      );
      return { ok: true, result: { details: runReportDetails(report) } };
    },
  });
}
