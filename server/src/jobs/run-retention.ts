import type { RetentionUseCases, RunReport } from "../domain/retention/retention-use-cases.js";
import type { JobHandler } from "./runner.js";

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

/**
 * RUN_RETENTION: runs the store's retention rules (RetentionUseCases.run) as the principal that
 * asked for the run; `params.dryRun` deletes nothing.
 */
export function createRunRetentionHandler(deps: { retention: Pick<RetentionUseCases, "run"> }): JobHandler {
  return async ({ job, signal, progress, log }) => {
    const text = (v: unknown, fallback: string) => (typeof v === "string" && v ? v : fallback);
    const report = await deps.retention.run(job.storeId, {
      dryRun: job.params.dryRun === true,
      audit: { actor: text(job.params.auditActor, job.createdBy), requestId: text(job.params.auditRequestId, `job:${job.id}`) },
      jobId: job.id,
      signal,
      progress,
    });
    log(
      `${report.dryRun ? "dry run: " : ""}${report.totals.consideredCount} considered, ${report.totals.deleteCount} selected, ` +
        `${report.deletedCount} deleted, ${report.skippedCount} skipped as protected since the evaluation`,
    );
    return { ok: true, result: { details: runReportDetails(report) } };
  };
}
