import type { AuditContext } from "../audit/audit-context.js";
import { failedPrecondition, invalidField } from "../errors.js";
import type { JobUseCases } from "../jobs/service.js";
import type { Job, JobResult } from "../jobs/types.js";
import type { LineageRecorder } from "../lineage/types.js";
import type { Clock } from "../ports.js";
import type { SnapshotUseCases } from "../snapshots/service.js";
import { Validator } from "../validate.js";
import { writeArchive } from "./archive.js";
import type { ExportJobParams } from "./job-params.js";
import { manifestOf } from "./manifest.js";
import type { SecretSealer, TransferEndpoints } from "./ports.js";
import { checkKey } from "./stream-cipher.js";

export interface TransferDeps {
  snapshots: SnapshotUseCases;
  jobs: JobUseCases;
  endpoints: TransferEndpoints;
  sealer: SecretSealer;
  lineage: LineageRecorder;
  clock: Clock;
  /** Posts a job's outcome to an export's notify_webhook (SSRF-guarded); never throws. */
  notify(url: string, payload: Record<string, unknown>): Promise<string | undefined>;
  /** Validates a notify_webhook URL (SSRF guard, at request time). */
  checkWebhook(url: string, field: string): Promise<void>;
}

export interface ExportRequest {
  storeId: string;
  snapshotId: string;
  destination: string;
  encrypt: boolean;
  encryptionKey: Uint8Array;
  signingSecret: Uint8Array;
  notifyWebhook: string;
  priority: number;
}

export interface JobCaller {
  actor: string;
  audit: AuditContext;
}

export interface JobRunContext {
  signal: AbortSignal;
  progress(percent: number): void;
  log(line: string): void;
}

/** The archive file name of a snapshot's export. */
export const archiveNameOf = (snapshotId: string) => `${snapshotId}.vellum`;

/** Reports progress as bytes of `total` pass through. */
export async function* counted(source: AsyncIterable<Uint8Array>, total: number, ctx: Pick<JobRunContext, "progress">): AsyncGenerator<Uint8Array> {
  let seen = 0;
  for await (const c of source) {
    seen += c.byteLength;
    if (total > 0) ctx.progress(Math.min(99, Math.floor((seen * 100) / total)));
    yield c;
  }
}

/** ExportSnapshot and the EXPORT_SNAPSHOT job body. */
export function createExportUseCases(deps: TransferDeps) {
  const { snapshots, endpoints, sealer } = deps;

  const secret = async (sealed: string | undefined) => (sealed ? await sealer.open(sealed) : undefined);

  return {
    /** Checks the request (destination, key, webhook, the snapshot) and queues the job. */
    async start(req: ExportRequest, caller: JobCaller): Promise<Job> {
      const v = new Validator();
      v.storeId("store_id", req.storeId);
      v.uuid("snapshot_id", req.snapshotId);
      if (req.encrypt && req.encryptionKey.length === 0) v.add("encryption_key", "is required when encrypt is set");
      if (!req.encrypt && req.encryptionKey.length > 0) v.add("encryption_key", "must be unset unless encrypt is set");
      if (req.signingSecret.length > 0 && (req.signingSecret.length < 16 || req.signingSecret.length > 256)) v.add("signing_secret", "must be 16..256 bytes");
      v.throwIfAny();
      if (req.encrypt) checkKey(req.encryptionKey, "encryption_key");
      const snapshot = await snapshots.get(req.storeId, req.snapshotId);
      if (snapshot.state !== "ACTIVE") throw failedPrecondition("snapshot is deleted; it cannot be exported", "SNAPSHOT_DELETED");
      const sink = await endpoints.destination(req.destination, "destination", { archiveName: archiveNameOf(snapshot.id) });
      if (req.signingSecret.length > 0 && !/^https?:/.test(sink.location)) throw invalidField("signing_secret", "applies to https destinations only");
      if (req.notifyWebhook) await deps.checkWebhook(req.notifyWebhook, "notify_webhook");
      const params: ExportJobParams = {
        snapshotId: snapshot.id,
        destination: req.destination,
        auditActor: caller.audit.actor,
        auditRequestId: caller.audit.requestId,
      };
      if (req.encrypt) params.sealedKey = await sealer.seal(req.encryptionKey);
      if (req.signingSecret.length) params.sealedSigningSecret = await sealer.seal(req.signingSecret);
      if (req.notifyWebhook) params.notifyWebhook = req.notifyWebhook;
      return deps.jobs.enqueue(req.storeId, "EXPORT_SNAPSHOT", {
        snapshotId: snapshot.id,
        priority: req.priority,
        actor: caller.actor,
        audit: caller.audit,
        params: params as unknown as Record<string, unknown>,
      });
    },

    /**
     * Streams the snapshot's archive to its destination. Repeating an attempt rewrites the same
     * archive (the destination sees a complete archive or none). Notifies `notifyWebhook` when it
     * succeeds and when it fails for good (not on a failure that will be retried).
     */
    async run(job: Pick<Job, "id">, storeId: string, params: ExportJobParams, ctx: JobRunContext): Promise<JobResult> {
      let location = params.destination;
      try {
        const snapshot = await snapshots.get(storeId, params.snapshotId);
        const key = await secret(params.sealedKey);
        const sink = await endpoints.destination(params.destination, "destination", {
          archiveName: archiveNameOf(snapshot.id),
          signingSecret: await secret(params.sealedSigningSecret),
        });
        location = sink.location;
        const opened = await snapshots.openRange(storeId, snapshot.id, 0, snapshot.size, snapshot);
        const content = counted(opened.stream(ctx.signal), snapshot.size, ctx);
        const archive = writeArchive(manifestOf(snapshot, deps.clock.now()), content, key);
        ctx.log(`exporting snapshot ${snapshot.id} (${snapshot.size} bytes${key ? ", encrypted" : ""}) to ${location}`);
        await sink.write(archive, { contentSha256: snapshot.sha256 }, ctx.signal);
        await deps.lineage.record([
          { storeId, kind: "CONSUMED_BY", from: { kind: "SNAPSHOT", id: snapshot.id }, to: { kind: "EXTERNAL", id: location }, jobId: job.id, note: "export" },
        ]);
        ctx.log(`wrote ${archive.size} bytes to ${location}`);
        const details = { location, bytes_written: archive.size, sha256: snapshot.sha256, encrypted: key !== undefined };
        if (params.notifyWebhook) await notify(params.notifyWebhook, { job_id: job.id, state: "SUCCEEDED", ...details }, ctx);
        return { snapshotId: snapshot.id, details };
      } catch (e) {
        const retried = e instanceof Error && (e.name === "Unavailable" || e.name === "Aborted") && !ctx.signal.aborted;
        if (params.notifyWebhook && !retried) {
          const state = ctx.signal.aborted ? "CANCELLED" : "FAILED";
          await notify(params.notifyWebhook, { job_id: job.id, state, location, error: e instanceof Error && "details" in e ? e.message : "export failed" }, ctx);
        }
        throw e;
      }
    },
  };

  async function notify(url: string, payload: Record<string, unknown>, ctx: JobRunContext) {
    const problem = await deps.notify(url, payload);
    ctx.log(problem ? `notify_webhook not delivered: ${problem}` : "notify_webhook delivered");
  }
}

export type ExportUseCases = ReturnType<typeof createExportUseCases>;
