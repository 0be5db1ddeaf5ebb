import type { AuditContext } from "../audit/audit-context.js";
import { isDomainError, statusName } from "../errors.js";
import type { LineageEdge, LineageRecorder } from "../lineage/types.js";
import type { ContentStore } from "../ports.js";
import type { SnapshotUseCases } from "../snapshots/service.js";
import type { SnapshotSpec, SnapshotType } from "../snapshots/types.js";
import type { CaptureClient, PolicyRunRepository, PolicySnapshotQueries } from "./ports.js";
import { POLICY_LABEL, type Policy, type PolicyRun, type PolicyRunError } from "./types.js";

export interface PolicyCaptureDeps {
  content: Pick<ContentStore, "ingest">;
  snapshots: Pick<SnapshotUseCases, "commit" | "delete">;
  queries: PolicySnapshotQueries;
  runs: Pick<PolicyRunRepository, "update" | "finish">;
  client: CaptureClient;
  lineage: LineageRecorder;
  clock: { now(): Date };
  /** Attempts per resource when the target is unavailable; default 3. */
  attempts?: number;
  /** First retry delay (doubling); default 500 ms. */
  retryDelayMs?: number;
}

/** What capturing one resource did. */
export type CaptureOutcome = { kind: "created"; snapshotId: string } | { kind: "unchanged" } | { kind: "not_found" };

const isJson = (bytes: Uint8Array): boolean => {
  try {
    JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    return true;
  } catch {
    return false;
  }
};

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });

/** The lineage id of a live resource: "<target host or 'push'>/<resource_type>/<resource_id>". */
export const resourceNodeId = (policy: Policy, resourceId: string): string =>
  `${policy.captureTargetUrl ? new URL(policy.captureTargetUrl).host : "push"}/${policy.resourceType}/${resourceId}`;

/**
 * Captures of policy runs. A capture stores the content, then creates a snapshot only when its
 * SHA-256 differs from the newest ACTIVE snapshot of the resource (unchanged content creates
 * nothing; its chunks are left to the sweep). A new snapshot gets the policy's tags, ttl and label,
 * lineage CAPTURED_FROM (resource -> snapshot) and PRODUCED_BY (job -> snapshot), and then the
 * policy's snapshots of that resource beyond keep_latest_n are soft-deleted (protected ones stay).
 */
export function createPolicyCapture(deps: PolicyCaptureDeps) {
  const attempts = deps.attempts ?? 3;
  const retryDelayMs = deps.retryDelayMs ?? 500;

  async function store(
    policy: Policy,
    resourceId: string,
    content: { body: AsyncIterable<Uint8Array>; type: SnapshotType; sha256?: string },
    ctx: { audit: AuditContext; jobId?: string; signal?: AbortSignal },
  ): Promise<CaptureOutcome> {
    const spec: SnapshotSpec = {
      storeId: policy.storeId,
      resourceType: policy.resourceType,
      resourceId,
      snapshotType: content.type,
      tags: policy.tagsToInclude,
      labels: { [POLICY_LABEL]: policy.id, "vellum.policy.scope": policy.scope },
      metadata: { commitMessage: `policy ${policy.name} (v${policy.version})`, channel: "", locale: "", jobId: ctx.jobId ?? "" },
      ttlDays: policy.retentionDays,
      encrypt: false,
      idempotencyKey: "",
    };
    const stored = await deps.content.ingest(policy.storeId, content.body, { encrypt: false, expected: content.sha256 ? { sha256: content.sha256 } : undefined, signal: ctx.signal });
    if ((await deps.queries.latestSha256(policy.storeId, policy.resourceType, resourceId)) === stored.sha256) return { kind: "unchanged" };
    const snapshot = await deps.snapshots.commit(spec, stored, { actor: `policy:${policy.id}`, method: "PolicyService/Capture", audit: ctx.audit });
    const edges: LineageEdge[] = [
      { storeId: policy.storeId, kind: "CAPTURED_FROM", from: { kind: "RESOURCE", id: resourceNodeId(policy, resourceId) }, to: { kind: "SNAPSHOT", id: snapshot.id }, jobId: ctx.jobId, note: `policy ${policy.name}` },
    ];
    if (ctx.jobId) edges.push({ storeId: policy.storeId, kind: "PRODUCED_BY", from: { kind: "JOB", id: ctx.jobId }, to: { kind: "SNAPSHOT", id: snapshot.id }, jobId: ctx.jobId });
    await deps.lineage.record(edges);
    if (policy.keepLatestN > 0) {
      for (const id of await deps.queries.surplus(policy.storeId, policy.id, policy.resourceType, resourceId, policy.keepLatestN)) {
        await deps.snapshots.delete(policy.storeId, id, false, "", ctx.audit).catch((err: unknown) => {
          if (!isDomainError(err, "FailedPrecondition") && !isDomainError(err, "NotFound")) throw err;
        });
      }
    }
    return { kind: "created", snapshotId: snapshot.id };
  }

  async function pullOnce(policy: Policy, resourceId: string, ctx: { audit: AuditContext; jobId?: string; signal: AbortSignal }): Promise<CaptureOutcome> {
    const state = await deps.client.capture(policy.captureTargetUrl, { resourceType: policy.resourceType, resourceId }, ctx.signal);
    if (!state) return { kind: "not_found" };
    const type = state.snapshotType ?? (state.inline && isJson(state.inline) ? "JSON" : "BLOB");
    return store(policy, resourceId, { body: state.body, type, sha256: state.sha256 }, ctx);
  }

  /** Pulls one resource through CaptureCurrent, retrying UNAVAILABLE with backoff. */
  async function pull(policy: Policy, resourceId: string, ctx: { audit: AuditContext; jobId?: string; signal: AbortSignal }): Promise<CaptureOutcome> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await pullOnce(policy, resourceId, ctx);
      } catch (err) {
        if (attempt >= attempts || !isDomainError(err, "Unavailable") || ctx.signal.aborted) throw err;
        await sleep(retryDelayMs * 2 ** (attempt - 1), ctx.signal);
      }
    }
  }

  return {
    /** Stores a pushed payload as the state of `resourceId`. */
    push(policy: Policy, resourceId: string, bytes: Uint8Array, type: SnapshotType, ctx: { audit: AuditContext; signal?: AbortSignal }) {
      return store(policy, resourceId, { body: once(bytes), type }, ctx);
    },

    /**
     * Runs a pull run to its end: captures every resource of the run, records what each did, and
     * ends the run SUCCEEDED, or FAILED when any resource failed. Throws only when `signal` aborts.
     */
    async execute(run: PolicyRun, policy: Policy, ctx: { audit: AuditContext; signal: AbortSignal }): Promise<PolicyRun> {
      await deps.runs.update(run.id, { state: "RUNNING" });
      const snapshotIds: string[] = [];
      const unchanged: string[] = [];
      const errors: PolicyRunError[] = [];
      for (const resourceId of run.resourceIds) {
        ctx.signal.throwIfAborted();
        try {
          const r = await pull(policy, resourceId, { ...ctx, jobId: run.jobId });
          if (r.kind === "created") snapshotIds.push(r.snapshotId);
          else if (r.kind === "unchanged") unchanged.push(resourceId);
          else errors.push({ resourceId, code: "NOT_FOUND", message: "the owning service reports that the resource does not exist" });
        } catch (err) {
          if (ctx.signal.aborted) {
            // Cancelled or shut down: the run ends FAILED (a shutdown's retry runs it again under the same id).
            const message = ctx.signal.reason === "cancelled" ? "the run was cancelled" : "the run was interrupted";
            const failed = { state: "FAILED" as const, snapshotIds, unchangedResourceIds: unchanged, errors: [...errors, { resourceId, code: "CANCELLED", message }], endTime: deps.clock.now() };
            await deps.runs.finish(run, failed, ctx.audit);
            throw err;
          }
          errors.push(isDomainError(err) ? { resourceId, code: statusName(err.name), message: err.message.slice(0, 1024) } : { resourceId, code: "INTERNAL", message: "capture failed" });
        }
      }
      const end = { state: errors.length ? ("FAILED" as const) : ("SUCCEEDED" as const), snapshotIds, unchangedResourceIds: unchanged, errors, endTime: deps.clock.now() };
      return deps.runs.finish(run, end, ctx.audit);
    },
  };
}

export type PolicyCapture = ReturnType<typeof createPolicyCapture>;
