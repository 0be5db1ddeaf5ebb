import type { ChunkerOptions } from "../../../../sdk/src/chunking/fastcdc.js";
import type { AuditContext } from "../audit/audit-context.js";
import { digestOf } from "../digest.js";
import { compare, type ContentKind, type DiffFormat } from "../diff/index.js";
import { isDomainError } from "../errors.js";
import type { JobUseCases } from "../jobs/service.js";
import type { Job, JobResult } from "../jobs/types.js";
import type { SnapshotUseCases } from "../snapshots/service.js";
import type { Snapshot, SnapshotSpec } from "../snapshots/types.js";
import { chunkSummary, manifestsAvailable } from "./chunk-summary.js";
import { looksLikeTar, looksLikeText, readPrefix, requireActive, SNIFF_BYTES } from "./content.js";
import { engineOptions, type CompareJobParams } from "./request.js";
import type {
  ChunkSummaryReason,
  CompareKind,
  CompareLimits,
  CompareRequest,
  ComparisonEncoder,
  ManifestSource,
  SnapshotComparison,
} from "./types.js";

export interface CompareUseCasesDeps {
  snapshots: SnapshotUseCases;
  jobs: JobUseCases;
  /** Stored chunk manifests; without it (or for content without one) chunk summaries read content. */
  manifests?: ManifestSource;
  encode: ComparisonEncoder;
  limits: CompareLimits;
  /** Chunking used when a chunk summary has to chunk content itself (default: the engine's). */
  chunking?: Partial<ChunkerOptions>;
  /** Days until job output snapshots may expire (default 30). */
  outputTtlDays?: number;
}

/** Resource type of the snapshots that hold COMPARE_SNAPSHOTS output. */
export const COMPARE_OUTPUT_RESOURCE_TYPE = "vellum.compare";

/** Who asks: `actor` is recorded as the job's creator, `audit` on what the request writes. */
export interface Caller {
  actor: string;
  audit: AuditContext;
}

/** How a pair of snapshots is compared: as `kind`, or by chunk summary when `chunks` is set. */
interface Plan {
  kind: CompareKind;
  chunks?: ChunkSummaryReason;
}

/** A short, readable name of a snapshot for diff headers: `<type>/<id>@v<version>[.json]`. */
function displayName(s: Snapshot, kind: CompareKind): string {
  const base = s.resourceId ? `${s.resourceType}/${s.resourceId}@v${s.version}` : `${s.resourceType}/${s.id}`;
  return kind === "json" ? `${base}.json` : base;
}

/**
 * Compare use-cases: CompareSnapshots (synchronous up to a size limit, a job above it),
 * StartCompare, and the COMPARE_SNAPSHOTS job body that stores its output as a snapshot.
 */
export function createCompareUseCases(deps: CompareUseCasesDeps) {
  const { snapshots, limits } = deps;
  const chunkDeps = {
    manifests: deps.manifests,
    chunking: deps.chunking,
    stream: async (s: Snapshot, signal?: AbortSignal) => (await snapshots.openRange(s.storeId, s.id, 0, s.size, s)).stream(signal),
  };

  async function load(req: CompareRequest): Promise<{ left: Snapshot; right: Snapshot }> {
    const [left, right] = await Promise.all([
      snapshots.get(req.storeId, req.leftSnapshotId),
      snapshots.get(req.storeId, req.rightSnapshotId),
    ]);
    requireActive(left);
    requireActive(right);
    return { left, right };
  }

  /** JSON and TAR pairs by type; anything else by its first bytes: text, tar, or binary. */
  async function kindOf(left: Snapshot, right: Snapshot, signal?: AbortSignal): Promise<CompareKind> {
    if (left.snapshotType === "JSON" && right.snapshotType === "JSON") return "json";
    if (left.snapshotType === "TAR" && right.snapshotType === "TAR") return "tar";
    const [lh, rh] = await Promise.all([left, right].map((s) => readPrefix(snapshots, s, SNIFF_BYTES, signal)));
    if (looksLikeText(lh, left.size <= SNIFF_BYTES) && looksLikeText(rh, right.size <= SNIFF_BYTES)) return "text";
    if ((left.size === 0 || looksLikeTar(lh)) && (right.size === 0 || looksLikeTar(rh))) return "tar";
    return "binary";
  }

  async function plan(req: CompareRequest, left: Snapshot, right: Snapshot, signal?: AbortSignal): Promise<Plan> {
    if (req.format === "CHUNKS") {
      // Content is not inspected at all: the kind is what the snapshot types say.
      const same = left.snapshotType === right.snapshotType;
      const kind = same && left.snapshotType === "JSON" ? "json" : same && left.snapshotType === "TAR" ? "tar" : "binary";
      return { kind, chunks: "requested" };
    }
    const kind = await kindOf(left, right, signal);
    if (kind === "binary") return { kind, chunks: "binary" };
    if (left.size + right.size > limits.maxInMemoryBytes) return { kind, chunks: "too_large" };
    return { kind };
  }

  async function summarize(left: Snapshot, right: Snapshot, kind: CompareKind, reason: ChunkSummaryReason, signal?: AbortSignal) {
    return { format: "CHUNKS" as const, kind, reason, chunks: await chunkSummary(chunkDeps, left, right, signal) };
  }

  async function compute(req: CompareRequest, left: Snapshot, right: Snapshot, p: Plan, signal?: AbortSignal): Promise<SnapshotComparison> {
    const sameContent = left.size === right.size && left.sha256 === right.sha256;
    if (p.chunks) return { left, right, sameContent, body: await summarize(left, right, p.kind, p.chunks, signal) };
    const kind = p.kind as ContentKind;
    const [lb, rb] = await Promise.all([left, right].map((s) => readPrefix(snapshots, s, s.size, signal)));
    const leftName = displayName(left, kind);
    const rightName = displayName(right, kind);
    try {
      const body = await compare(lb, rb, kind, req.format as DiffFormat, {
        ...engineOptions(req.options),
        leftName,
        rightName,
        title: `Compare ${leftName} → ${rightName}`,
      });
      return { left, right, sameContent, body };
    } catch (e) {
      // Sniffing saw text at the start; binary bytes later make it a byte-level comparison.
      if (kind === "text" && isDomainError(e, "FailedPrecondition") && e.details.reason === "INVALID_TEXT") {
        return { left, right, sameContent, body: await summarize(left, right, "binary", "binary", signal) };
      }
      throw e;
    }
  }

  /** The job params: the request, plus who asked, so the output snapshot is audited as theirs. */
  async function enqueue(req: CompareRequest, right: Snapshot, opts: Caller & { priority?: number }): Promise<Job> {
    return deps.jobs.enqueue(req.storeId, "COMPARE_SNAPSHOTS", {
      snapshotId: right.id,
      priority: opts.priority ?? 0,
      actor: opts.actor,
      audit: opts.audit,
      params: { ...req, auditActor: opts.audit.actor, auditRequestId: opts.audit.requestId } satisfies CompareJobParams,
    });
  }

  return {
    /**
     * Compares now when both snapshots together are within `limits.syncMaxBytes` (or when the
     * answer is a chunk summary from stored manifests, which reads no content); otherwise enqueues
     * a COMPARE_SNAPSHOTS job and returns it.
     */
    async compareOrEnqueue(req: CompareRequest, opts: Caller & { signal?: AbortSignal }): Promise<{ comparison: SnapshotComparison } | { job: Job }> {
      const { left, right } = await load(req);
      const p = await plan(req, left, right, opts.signal);
      const small = left.size + right.size <= limits.syncMaxBytes;
      const sync = small || (p.chunks !== undefined && (await manifestsAvailable(chunkDeps, left, right)));
      if (!sync) return { job: await enqueue(req, right, opts) };
      return { comparison: await compute(req, left, right, p, opts.signal) };
    },

    /** Enqueues a COMPARE_SNAPSHOTS job after checking that both snapshots exist and are readable. */
    async start(req: CompareRequest, opts: Caller & { priority: number }): Promise<Job> {
      const { right } = await load(req);
      return enqueue(req, right, opts);
    },

    /**
     * The COMPARE_SNAPSHOTS job body: compares the snapshots named by the job's params and stores
     * the encoded output as a new snapshot (idempotent per job, so a retried attempt reuses it).
     */
    async runJob(
      job: Pick<Job, "id" | "createdBy">,
      req: CompareJobParams,
      ctx: { signal: AbortSignal; progress(p: number): void; log(line: string): void },
    ): Promise<JobResult> {
      const { left, right } = await load(req);
      const p = await plan(req, left, right, ctx.signal);
      ctx.log(
        `comparing ${left.id} (${left.size} bytes) with ${right.id} (${right.size} bytes): ` +
          (p.chunks ? `chunk summary (${p.chunks})` : `${p.kind} as ${req.format}`),
      );
      ctx.progress(5);
      const c = await compute(req, left, right, p, ctx.signal);
      ctx.progress(80);
      const out = deps.encode(c);
      const labels = {
        left_snapshot_id: left.id,
        right_snapshot_id: right.id,
        format: c.body.format,
        kind: c.body.kind,
        media_type: out.mediaType,
      };
      const spec: SnapshotSpec = {
        storeId: req.storeId,
        resourceType: COMPARE_OUTPUT_RESOURCE_TYPE,
        resourceId: "",
        snapshotType: out.snapshotType,
        tags: [],
        labels,
        metadata: { commitMessage: `compare ${left.id}..${right.id} (${c.body.format})`, channel: "", locale: "", jobId: job.id },
        ttlDays: deps.outputTtlDays ?? 30,
        encrypt: left.encrypted || right.encrypted,
        idempotencyKey: `compare-job:${job.id}`,
      };
      const saved = await snapshots.create(spec, once(out.bytes), {
        actor: job.createdBy,
        method: "CompareSnapshots",
        fingerprintParts: () => ({ sha256: digestOf(out.bytes).toHex() }),
        signal: ctx.signal,
        audit: {
          actor: req.auditActor || job.createdBy,
          requestId: req.auditRequestId || `job:${job.id}`,
        },
      });
      ctx.log(`stored ${out.bytes.length} bytes of ${out.mediaType} as snapshot ${saved.id}`);
      const details: Record<string, unknown> = { ...labels, same_content: c.sameContent, output_bytes: out.bytes.length };
      if (c.body.format === "CHUNKS") details.chunk_summary_reason = c.body.reason;
      return { snapshotId: saved.id, details };
    },
  };
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  if (bytes.length) yield bytes;
}

export type CompareUseCases = ReturnType<typeof createCompareUseCases>;
