import { readPrefix } from "../compare/content.js";
import { depthExceeds, MAX_JSON_DEPTH } from "../redaction/json-prefix.js";
import { digestOf } from "../digest.js";
import { failedPrecondition, invalidArgument } from "../errors.js";
import type { JobUseCases } from "../jobs/service.js";
import type { Job, JobError, JobResult } from "../jobs/types.js";
import type { LineageEdge, LineageRecorder } from "../lineage/types.js";
import type { SnapshotUseCases } from "../snapshots/service.js";
import { validateSpec } from "../snapshots/spec.js";
import type { Snapshot, SnapshotMetadata, SnapshotSpec } from "../snapshots/types.js";
import type { JobCaller, JobRunContext } from "../transfer/export-use-cases.js";
import { Validator } from "../validate.js";
import { overlay, patch, union, type Json } from "./json-compose.js";
import { overlayTars } from "./tar-compose.js";
import { COMPOSE_STRATEGIES, CONFLICT_RESOLUTIONS, preferOf, type ComposeConflict, type ComposeStrategy, type ConflictResolution } from "./types.js";

export const MIN_PARENTS = 2;
export const MAX_PARENTS = 32;

export interface ComposeRequest {
  storeId: string;
  snapshotIds: string[];
  strategy?: ComposeStrategy;
  conflictResolution: ConflictResolution;
  resourceType: string;
  resourceId: string;
  tags: string[];
  labels: Record<string, unknown>;
  metadata: Partial<SnapshotMetadata>;
  priority: number;
}

/** COMPOSE_SNAPSHOTS params as stored with the job. */
export type ComposeJobParams = Omit<ComposeRequest, "priority" | "strategy"> & { strategy: ComposeStrategy; auditActor?: string; auditRequestId?: string };

export interface ComposeDeps {
  snapshots: SnapshotUseCases;
  jobs: JobUseCases;
  lineage: LineageRecorder;
  /** Most bytes the parents may hold together (VELLUM_COMPARE_MAX_BYTES): they are composed in memory. */
  maxBytes: number;
}

/** The outcome of a compose run: the new snapshot, or the conflicts that MANUAL resolution refuses to settle. */
export type ComposeRun = { ok: true; result: JobResult } | { ok: false; errors: JobError[] };

/** At most this many conflicts become job errors; the last error says how many more there were. */
const MAX_CONFLICT_ERRORS = 200;

export type ComposeUseCases = ReturnType<typeof createComposeUseCases>;

export function createComposeUseCases(deps: ComposeDeps) {
  const { snapshots } = deps;

  /** Checks the parents: ACTIVE, all JSON or all TAR (PATCH: JSON), together within maxBytes. */
  async function load(storeId: string, ids: string[], strategy: ComposeStrategy): Promise<Snapshot[]> {
    const parents = await Promise.all(ids.map((id) => snapshots.get(storeId, id)));
    for (const p of parents) if (p.state !== "ACTIVE") throw failedPrecondition(`snapshot ${p.id} is deleted`, "SNAPSHOT_DELETED");
    const type = parents[0].snapshotType;
    if ((type !== "JSON" && type !== "TAR") || parents.some((p) => p.snapshotType !== type)) {
      throw failedPrecondition("parents must all be JSON or all TAR snapshots", "UNSUPPORTED_CONTENT");
    }
    if (strategy !== "OVERLAY" && type === "TAR") throw failedPrecondition(`${strategy} composes JSON; TAR parents take OVERLAY`, "UNSUPPORTED_CONTENT");
    const total = parents.reduce((n, p) => n + p.size, 0);
    if (total > deps.maxBytes) throw failedPrecondition(`parents hold ${total} bytes together, more than the ${deps.maxBytes} that can be composed`, "TOO_LARGE");
    return parents;
  }

  function validate(req: ComposeRequest): void {
    const v = new Validator();
    v.storeId("store_id", req.storeId);
    if (req.snapshotIds.length < MIN_PARENTS || req.snapshotIds.length > MAX_PARENTS) v.add("snapshot_ids", `must name ${MIN_PARENTS}..${MAX_PARENTS} snapshots`);
    req.snapshotIds.forEach((id, i) => v.uuid(`snapshot_ids[${i}]`, id));
    if (new Set(req.snapshotIds.map((s) => s.toLowerCase())).size !== req.snapshotIds.length) v.add("snapshot_ids", "must be distinct");
    if (!req.strategy || !COMPOSE_STRATEGIES.includes(req.strategy)) v.add("strategy", "is required");
    if (!CONFLICT_RESOLUTIONS.includes(req.conflictResolution)) v.add("conflict_resolution", "is not a known resolution");
    v.throwIfAny();
  }

  function specOf(p: ComposeJobParams, parents: Snapshot[], jobId: string): SnapshotSpec {
    const v = new Validator();
    const spec = validateSpec(
      {
        storeId: p.storeId,
        resourceType: p.resourceType || parents[0].resourceType,
        resourceId: p.resourceId,
        snapshotType: parents[0].snapshotType,
        tags: p.tags,
        labels: p.labels,
        metadata: p.metadata,
        ttlDays: 0,
        encrypt: parents.some((s) => s.encrypted),
        idempotencyKey: `compose-job:${jobId}`,
      },
      v,
    );
    v.throwIfAny();
    return spec;
  }

  async function compose(strategy: ComposeStrategy, resolution: ConflictResolution, parents: Snapshot[], bytes: Uint8Array[]) {
    const prefer = preferOf(resolution);
    if (parents[0].snapshotType === "TAR") return overlayTars(bytes, prefer);
    const docs = bytes.map((b, i) => {
      const text = Buffer.from(b).toString("utf8");
      // The composers recurse: bound the nesting before parsing, as previews do.
      if (depthExceeds(text, MAX_JSON_DEPTH)) throw failedPrecondition(`parent ${i} (snapshot ${parents[i].id}) nests deeper than ${MAX_JSON_DEPTH}`, "JSON_TOO_DEEP");
      try {
        return JSON.parse(text) as Json;
      } catch {
        throw failedPrecondition(`parent ${i} (snapshot ${parents[i].id}) is not valid JSON`, "INVALID_JSON");
      }
    });
    const out = strategy === "OVERLAY" ? overlay(docs, prefer) : strategy === "UNION" ? union(docs, prefer) : patch(docs, prefer);
    return { value: new Uint8Array(Buffer.from(JSON.stringify(out.value), "utf8")), conflicts: out.conflicts };
  }

  const conflictErrors = (conflicts: ComposeConflict[], order: Snapshot[]): JobError[] => {
    const errors: JobError[] = conflicts.slice(0, MAX_CONFLICT_ERRORS).map((c) => ({
      code: "ABORTED",
      subject: c.path,
      message: `conflict at ${c.path}: ${c.reason} (snapshots ${c.parents.map((i) => order[i].id).join(", ")})`,
    }));
    if (conflicts.length > MAX_CONFLICT_ERRORS) errors.push({ code: "ABORTED", message: `${conflicts.length - MAX_CONFLICT_ERRORS} more conflicts` });
    return errors;
  };

  return {
    /** Checks the request and the parents, then queues the job. */
    async start(req: ComposeRequest, caller: JobCaller): Promise<Job> {
      validate(req);
      const strategy = req.strategy!;
      const parents = await load(req.storeId, req.snapshotIds, strategy);
      const params: ComposeJobParams = {
        storeId: req.storeId,
        snapshotIds: parents.map((p) => p.id),
        strategy,
        conflictResolution: req.conflictResolution,
        resourceType: req.resourceType,
        resourceId: req.resourceId,
        tags: req.tags,
        labels: req.labels,
        metadata: req.metadata,
        auditActor: caller.audit.actor,
        auditRequestId: caller.audit.requestId,
      };
      specOf(params, parents, "check");
      return deps.jobs.enqueue(req.storeId, "COMPOSE_SNAPSHOTS", {
        snapshotId: parents[0].id,
        priority: req.priority,
        actor: caller.actor,
        audit: caller.audit,
        params: params as unknown as Record<string, unknown>,
      });
    },

    /** Composes the parents into a new snapshot (idempotent per job), or reports MANUAL conflicts. */
    async run(job: Pick<Job, "id" | "createdBy">, p: ComposeJobParams, ctx: JobRunContext): Promise<ComposeRun> {
      const loaded = await load(p.storeId, p.snapshotIds, p.strategy);
      const order = p.conflictResolution === "LATEST" ? [...loaded].sort((a, b) => a.createTime.getTime() - b.createTime.getTime()) : loaded;
      ctx.log(`composing ${order.length} ${order[0].snapshotType} snapshots by ${p.strategy}, conflicts ${p.conflictResolution}`);
      const bytes: Uint8Array[] = [];
      for (const s of order) {
        bytes.push(await readPrefix(snapshots, s, s.size, ctx.signal));
        ctx.progress(Math.floor((bytes.length * 60) / order.length));
      }
      const out = await compose(p.strategy, p.conflictResolution, order, bytes);
      if (out.conflicts.length) {
        ctx.log(`${out.conflicts.length} conflicts; MANUAL resolution stores nothing`);
        return { ok: false, errors: conflictErrors(out.conflicts, order) };
      }
      const spec = specOf(p, order, job.id);
      const saved = await snapshots.create(spec, once(out.value), {
        actor: job.createdBy,
        method: "ComposeSnapshots",
        fingerprintParts: () => ({ sha256: digestOf(out.value).toHex() }),
        signal: ctx.signal,
        audit: { actor: p.auditActor || job.createdBy, requestId: p.auditRequestId || `job:${job.id}` },
      });
      const edges: LineageEdge[] = order.map((s, ordinal) => ({
        storeId: p.storeId,
        kind: "COMPOSED_FROM",
        from: { kind: "SNAPSHOT", id: s.id },
        to: { kind: "SNAPSHOT", id: saved.id },
        jobId: job.id,
        ordinal,
        note: p.strategy,
      }));
      edges.push({ storeId: p.storeId, kind: "PRODUCED_BY", from: { kind: "JOB", id: job.id }, to: { kind: "SNAPSHOT", id: saved.id }, jobId: job.id });
      await deps.lineage.record(edges);
      ctx.log(`stored ${out.value.length} bytes as snapshot ${saved.id}`);
      return {
        ok: true,
        result: {
          snapshotId: saved.id,
          details: { strategy: p.strategy, conflict_resolution: p.conflictResolution, parent_snapshot_ids: order.map((s) => s.id), output_bytes: out.value.length },
        },
      };
    },
  };
}

/** Parses COMPOSE_SNAPSHOTS params (as `start` stored them). */
export function parseComposeParams(raw: Record<string, unknown>): ComposeJobParams {
  const r = raw as Partial<ComposeJobParams>;
  const strings = (x: unknown) => Array.isArray(x) && x.every((s) => typeof s === "string");
  const ok =
    typeof r.storeId === "string" &&
    strings(r.snapshotIds) &&
    COMPOSE_STRATEGIES.includes(r.strategy as ComposeStrategy) &&
    CONFLICT_RESOLUTIONS.includes(r.conflictResolution as ConflictResolution) &&
    typeof r.resourceType === "string" &&
    typeof r.resourceId === "string" &&
    strings(r.tags) &&
    typeof r.labels === "object" &&
    typeof r.metadata === "object";
  if (!ok) throw invalidArgument([{ field: "params", description: "are not COMPOSE_SNAPSHOTS params" }]);
  return r as ComposeJobParams;
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  if (bytes.length) yield bytes;
}
