import type { Job } from "./types.js";

/**
 * The audit action written when a job of these types SUCCEEDS, in the transaction that ends it
 * (storage/db/job-queue-repo.ts), and which snapshot it concerns: the job's result snapshot
 * (restored, imported, composed) or the job's own snapshot (exported). A restore that ends without
 * a result snapshot (DRY_RUN) changed nothing and is not audited as a restore.
 */
const COMPLETIONS: Readonly<Record<string, { action: string; snapshot: "result" | "job" }>> = {
  RESTORE_SNAPSHOT: { action: "snapshot.restore", snapshot: "result" },
  EXPORT_SNAPSHOT: { action: "snapshot.export", snapshot: "job" },
  IMPORT_SNAPSHOT: { action: "snapshot.import", snapshot: "result" },
  COMPOSE_SNAPSHOTS: { action: "snapshot.compose", snapshot: "result" },
};

/** The completion audit of a SUCCEEDED job `job`, or undefined when its success is not audited. */
export function completionAudit(job: Job): { action: string; snapshotId: string } | undefined {
  const c = COMPLETIONS[job.type];
  if (!c || job.state !== "SUCCEEDED") return undefined;
  const snapshotId = c.snapshot === "result" ? job.result?.snapshotId : job.snapshotId;
  return snapshotId ? { action: c.action, snapshotId } : undefined;
}
