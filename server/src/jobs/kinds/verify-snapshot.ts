import type { ContentStore, SnapshotRepository } from "../../domain/ports.js";
import { defineJobKind, noParams } from "../kind.js";

/**
 * VERIFY_SNAPSHOT: re-reads every byte of the snapshot's content, checking chunk and whole-content
 * hashes. Each problem becomes a DATA_LOSS job error naming what is bad.
 */
export function verifySnapshotKind(deps: { snapshots: SnapshotRepository; content: ContentStore }) {
  return defineJobKind({
    type: "VERIFY_SNAPSHOT",
    scope: "store",
    parseParams: noParams,
    handler: async ({ job, storeId, signal, progress, log }) => {
      const snapshot = job.snapshotId ? await deps.snapshots.get(storeId, job.snapshotId) : undefined;
      if (!snapshot) {
        return { ok: false, errors: [{ code: "NOT_FOUND", message: "snapshot no longer exists", subject: job.snapshotId ?? "" }] };
      }
      log(`verifying ${snapshot.size} bytes of snapshot ${snapshot.id}`);
      const report = await deps.content.verify(
        snapshot,
        (n) => progress(snapshot.size === 0 ? 99 : (n / snapshot.size) * 100),
        signal,
      );
      const details = { bytes_checked: report.bytesChecked, sha256: snapshot.sha256, problems: report.problems.length };
      if (report.problems.length === 0) {
        log("content verified");
        return { ok: true, result: { snapshotId: snapshot.id, details } };
      }
      log(`${report.problems.length} problem(s) found`);
      return {
        ok: false,
        result: { snapshotId: snapshot.id, details },
        errors: report.problems.map((p) => ({ code: "DATA_LOSS", message: p.message, subject: p.subject })),
      };
    },
  });
}
