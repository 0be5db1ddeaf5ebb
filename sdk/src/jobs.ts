/**
 * Typed wrappers of the job-backed transfer and compose RPCs: ExportSnapshot, ImportSnapshot and
 * ComposeSnapshots each return the queued job; `waitForJob` follows one to its end, and
 * `composeConflicts` reads a MANUAL compose's conflicts from its errors.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ComposeSnapshotsRequestSchema } from "../../gen/vellum/v1/compose_service_pb.js";
import { JobState, JobType, type Job } from "../../gen/vellum/v1/job_pb.js";
import type { ExportSnapshotRequestSchema, ImportSnapshotRequestSchema } from "../../gen/vellum/v1/transfer_service_pb.js";
import type { CallOptions, VellumClient } from "./client.js";
import { Code, VellumError } from "./errors.js";

/** Bytes of an AES-256 export key. */
export const EXPORT_KEY_BYTES = 32;

/**
 * A 32-byte export key from text: 64 hex digits, or base64/base64url of 32 bytes (surrounding
 * whitespace ignored, so a key file's trailing newline is fine). Throws a VellumError otherwise.
 */
export function parseExportKey(text: string): Uint8Array {
  const t = text.trim();
  let bytes: Uint8Array;
  if (/^[0-9a-fA-F]{64}$/.test(t)) bytes = Uint8Array.from(t.match(/../g)!, (h) => parseInt(h, 16));
  else {
    try {
      bytes = Uint8Array.from(atob(t.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
    } catch {
      bytes = new Uint8Array(0);
    }
  }
  if (bytes.length !== EXPORT_KEY_BYTES) throw new VellumError(Code.InvalidArgument, `an export key is ${EXPORT_KEY_BYTES} bytes as 64 hex digits or base64`);
  return bytes;
}

/** Starts an EXPORT_SNAPSHOT job (details.location names the archive once it succeeds). */
export async function exportSnapshot(
  client: Pick<VellumClient, "transfer">,
  req: MessageInitShape<typeof ExportSnapshotRequestSchema>,
  options: CallOptions = {},
): Promise<Job> {
  return (await client.transfer.exportSnapshot(req, options)).job!;
}

/** Starts an IMPORT_SNAPSHOT job (result.snapshotId names the new snapshot once it succeeds). */
export async function importSnapshot(
  client: Pick<VellumClient, "transfer">,
  req: MessageInitShape<typeof ImportSnapshotRequestSchema>,
  options: CallOptions = {},
): Promise<Job> {
  return (await client.transfer.importSnapshot(req, options)).job!;
}

/** Starts a COMPOSE_SNAPSHOTS job (result.snapshotId names the composed snapshot once it succeeds). */
export async function composeSnapshots(
  client: Pick<VellumClient, "compose">,
  req: MessageInitShape<typeof ComposeSnapshotsRequestSchema>,
  options: CallOptions = {},
): Promise<Job> {
  return (await client.compose.composeSnapshots(req, options)).job!;
}

const TERMINAL = new Set([JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED]);

/**
 * Follows a job with WatchJob until it ends and returns it in its terminal state (SUCCEEDED, FAILED
 * or CANCELLED: check `state`). `onUpdate` sees every change, e.g. for a progress bar.
 */
export async function waitForJob(
  client: Pick<VellumClient, "jobs">,
  storeId: string,
  jobId: string,
  options: CallOptions & { onUpdate?: (job: Job) => void } = {},
): Promise<Job> {
  const { onUpdate, ...call } = options;
  let last: Job | undefined;
  for await (const { job } of client.jobs.watchJob({ storeId, jobId }, call)) {
    if (!job) continue;
    last = job;
    onUpdate?.(job);
  }
  if (!last || !TERMINAL.has(last.state)) throw new VellumError(Code.Unavailable, `WatchJob ended before job ${jobId} did`);
  return last;
}

/** One place where composed snapshots disagree (a MANUAL compose fails with these). */
export interface ComposeConflict {
  /** JSON pointer into the composed document, or a tar member path. */
  path: string;
  /** Which parents disagree and how. */
  message: string;
}

/** The conflicts a failed MANUAL COMPOSE_SNAPSHOTS job reports; empty for any other job. */
export function composeConflicts(job: Job): ComposeConflict[] {
  if (job.type !== JobType.COMPOSE_SNAPSHOTS || job.state !== JobState.FAILED) return [];
  return job.errors.filter((e) => e.code === "ABORTED" && e.subject).map((e) => ({ path: e.subject, message: e.message }));
}
