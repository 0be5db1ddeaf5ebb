import { rechunk } from "../../../../sdk/src/byte-source.js";
import { digestOf } from "../digest.js";
import { invalidArgument } from "../errors.js";
import type { Job, JobResult } from "../jobs/types.js";
import type { LineageEdge } from "../lineage/types.js";
import { validateSpec } from "../snapshots/spec.js";
import type { SnapshotMetadata, SnapshotSpec } from "../snapshots/types.js";
import { RESOURCE_ID_RE, RESOURCE_TYPE_RE, Validator } from "../validate.js";
import { readArchive } from "./archive.js";
import { counted, type JobCaller, type JobRunContext, type TransferDeps } from "./export-use-cases.js";
import type { ImportJobParams } from "./job-params.js";
import type { SourceBody } from "./ports.js";
import { metadataOf } from "./manifest.js";
import { checkKey } from "./stream-cipher.js";

export interface ImportRequest {
  storeId: string;
  source: string;
  resourceType: string;
  resourceId: string;
  /** Fields set (non-empty) override the archive's. */
  metadata: Partial<SnapshotMetadata>;
  decryptionKey: Uint8Array;
  priority: number;
}

/** Content reaches ingest in pieces of this size, as uploads do (archive members arrive in small pieces). */
const INGEST_PIECE_BYTES = 1024 * 1024;

/** Resource type of snapshots imported from a share link when the request names none. */
export const SHARE_IMPORT_RESOURCE_TYPE = "vellum.import";

/** ImportSnapshot and the IMPORT_SNAPSHOT job body. */
export function createImportUseCases(deps: Omit<TransferDeps, "notify" | "checkWebhook">) {
  const { snapshots, endpoints, sealer } = deps;

  /** The body of `run` once the source is open. */
  async function storeFrom(
    job: Pick<Job, "id" | "createdBy">,
    storeId: string,
    params: ImportJobParams,
    location: string,
    opened: SourceBody,
    key: Uint8Array | undefined,
    ctx: JobRunContext,
  ): Promise<JobResult> {
    const override = (m: SnapshotMetadata): SnapshotMetadata => ({ ...m, ...params.metadata });
    let input: Parameters<typeof validateSpec>[0];
    let content: AsyncIterable<Uint8Array>;
    let expected: { sha256: string; size: number };
    let note: string;
    let closeArchive = () => {};
    if (opened.kind === "archive") {
      const archive = await readArchive(opened.body, key);
      closeArchive = archive.close;
      const mf = archive.manifest;
      const renamed = params.resourceType !== undefined || params.resourceId !== undefined;
      input = {
        storeId,
        resourceType: params.resourceType ?? mf.resource_type,
        resourceId: params.resourceId ?? mf.resource_id,
        resourceVersion: renamed ? "" : mf.resource_version,
        snapshotType: mf.snapshot_type,
        tags: mf.tags,
        labels: mf.labels,
        metadata: override(metadataOf(mf)),
        ttlDays: 0,
        encrypt: archive.encrypted,
        idempotencyKey: `import-job:${job.id}`,
      };
      content = archive.content;
      expected = { sha256: mf.sha256, size: mf.size };
      note = `snapshot ${mf.snapshot_id} of store ${mf.store_id}`;
    } else {
      input = {
        storeId,
        resourceType: params.resourceType ?? SHARE_IMPORT_RESOURCE_TYPE,
        resourceId: params.resourceId ?? "",
        snapshotType: opened.snapshotType,
        tags: [],
        labels: {},
        metadata: override({ commitMessage: "", channel: "", locale: "", jobId: "" }),
        ttlDays: 0,
        encrypt: false,
        idempotencyKey: `import-job:${job.id}`,
      };
      content = opened.body;
      expected = { sha256: opened.sha256, size: opened.size };
      note = `shared snapshot ${opened.snapshotId}`;
    }
    const v = new Validator();
    const spec: SnapshotSpec = validateSpec(input, v, "archive.");
    if (v.violations.length) throw invalidArgument(v.violations, v.omitted);
    const saved = await snapshots.create(spec, counted(rechunk(content, INGEST_PIECE_BYTES), expected.size, ctx), {
      actor: job.createdBy,
      method: "ImportSnapshot",
      expected,
      fingerprintParts: () => ({ sha256: expected.sha256, source: digestOf(Buffer.from(location)).toHex() }),
      signal: ctx.signal,
      audit: { actor: params.auditActor || job.createdBy, requestId: params.auditRequestId || `job:${job.id}` },
    }).finally(closeArchive);
    const edges: LineageEdge[] = [
      { storeId, kind: "IMPORTED_FROM", from: { kind: "EXTERNAL", id: location }, to: { kind: "SNAPSHOT", id: saved.id }, jobId: job.id, note },
      { storeId, kind: "PRODUCED_BY", from: { kind: "JOB", id: job.id }, to: { kind: "SNAPSHOT", id: saved.id }, jobId: job.id },
    ];
    await deps.lineage.record(edges);
    ctx.log(`imported ${saved.size} bytes as snapshot ${saved.id} (sha256 ${saved.sha256})`);
    return { snapshotId: saved.id, details: { source: location, sha256: saved.sha256, size: saved.size, origin: note } };
  }

  return {
    /** Checks the request (source address, key, overrides) and queues the job. */
    async start(req: ImportRequest, caller: JobCaller): Promise<Job> {
      const v = new Validator();
      v.storeId("store_id", req.storeId);
      if (req.resourceType) v.pattern("resource_type", req.resourceType, RESOURCE_TYPE_RE, 64, "1-64 characters of [A-Za-z0-9._:-]");
      if (req.resourceId) v.pattern("resource_id", req.resourceId, RESOURCE_ID_RE, 256, "free of control characters");
      const m = req.metadata;
      if (m.commitMessage) v.text("metadata.commit_message", m.commitMessage, 4096, true);
      if (m.channel) v.text("metadata.channel", m.channel, 128);
      if (m.locale) v.text("metadata.locale", m.locale, 64);
      if (m.jobId) v.text("metadata.job_id", m.jobId, 128);
      v.throwIfAny();
      if (req.decryptionKey.length) checkKey(req.decryptionKey, "decryption_key");
      await endpoints.source(req.source, "source");
      const params: ImportJobParams = {
        sealedSource: await sealer.seal(Buffer.from(req.source, "utf8")),
        auditActor: caller.audit.actor,
        auditRequestId: caller.audit.requestId,
      };
      if (req.resourceType) params.resourceType = req.resourceType;
      if (req.resourceId) params.resourceId = req.resourceId;
      const metadata = Object.fromEntries(Object.entries(m).filter(([, x]) => x));
      if (Object.keys(metadata).length) params.metadata = metadata;
      if (req.decryptionKey.length) params.sealedKey = await sealer.seal(req.decryptionKey);
      return deps.jobs.enqueue(req.storeId, "IMPORT_SNAPSHOT", {
        priority: req.priority,
        actor: caller.actor,
        audit: caller.audit,
        params: params as unknown as Record<string, unknown>,
      });
    },

    /**
     * Reads the source into a new snapshot; the content must match the manifest's (or the share
     * link's) SHA-256 and size before the snapshot becomes visible. Idempotent per job: a repeated
     * attempt returns the snapshot an earlier one created.
     */
    async run(job: Pick<Job, "id" | "createdBy">, storeId: string, params: ImportJobParams, ctx: JobRunContext): Promise<JobResult> {
      const raw = Buffer.from(await sealer.open(params.sealedSource)).toString("utf8");
      const key = params.sealedKey ? await sealer.open(params.sealedKey) : undefined;
      const source = await endpoints.source(raw, "source");
      ctx.log(`importing from ${source.location}`);
      const opened = await source.open(ctx.signal);
      try {
        return await storeFrom(job, storeId, params, source.location, opened, key, ctx);
      } finally {
        opened.close();
      }
    },
  };
}

export type ImportUseCases = ReturnType<typeof createImportUseCases>;
