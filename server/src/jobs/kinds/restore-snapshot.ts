import { invalidField } from "../../domain/errors.js";
import { RESTORE_JOB_TYPE } from "../../domain/restore/restores.js";
import type { createRunRestore } from "../../domain/restore/run-restore.js";
import type { RestoreMode, RestoreParams } from "../../domain/restore/types.js";
import { defineJobKind } from "../kind.js";

const MODES: readonly RestoreMode[] = ["DRY_RUN", "APPLY", "APPLY_WITH_PREVIEW"];

const text = (raw: Record<string, unknown>, name: string, required: boolean): string => {
  const v = raw[name];
  if (v === undefined && !required) return "";
  if (typeof v !== "string" || v.length > 512 || (required && v === "")) throw invalidField(`params.${name}`, "must be a string of 1-512 characters");
  return v;
};
const flag = (raw: Record<string, unknown>, name: string): boolean => {
  const v = raw[name];
  if (v !== undefined && typeof v !== "boolean") throw invalidField(`params.${name}`, "must be a boolean");
  return v === true;
};

/** Validates RESTORE_SNAPSHOT params (domain/restore/types.ts RestoreParams). */
export function parseRestoreParams(raw: Record<string, unknown>): RestoreParams {
  const mode = raw.mode as RestoreMode;
  if (!MODES.includes(mode)) throw invalidField("params.mode", `must be one of ${MODES.join(", ")}`);
  const p: RestoreParams = {
    snapshotId: text(raw, "snapshotId", true),
    targetService: text(raw, "targetService", true),
    targetResourceId: text(raw, "targetResourceId", true),
    mode,
    preserveCurrentVersion: flag(raw, "preserveCurrentVersion"),
    actorId: text(raw, "actorId", true),
    requestKey: text(raw, "requestKey", false),
    auditRequestId: text(raw, "auditRequestId", false),
  };
  const approvalId = text(raw, "approvalId", false);
  if (approvalId) p.approvalId = approvalId;
  if (flag(raw, "confirmed")) p.confirmed = true;
  return p;
}

/**
 * RESTORE_SNAPSHOT: restores a snapshot into a target service (domain/restore/run-restore.ts).
 * Retried with backoff while the target is unavailable or too slow; a previewed restore parks in
 * AWAITING_CONFIRMATION; a restore into a critical target waits in AWAITING_APPROVAL (enqueued so).
 */
export function restoreSnapshotKind(deps: { runRestore: ReturnType<typeof createRunRestore> }) {
  return defineJobKind({
    type: RESTORE_JOB_TYPE,
    scope: "store",
    parseParams: parseRestoreParams,
    handler: ({ job, params, signal, progress, log }) => deps.runRestore(job, params, { signal, progress, log }),
  });
}
