import { createHash } from "node:crypto";
import type { AuditContext } from "../audit/audit-context.js";
import { failedPrecondition } from "../errors.js";
import type { JobUseCases } from "../jobs/service.js";
import type { Clock } from "../ports.js";
import type { SnapshotType } from "../snapshots/types.js";
import { RESOURCE_ID_RE, RESOURCE_TYPE_RE, Validator } from "../validate.js";
import type { PolicyCapture } from "./capture.js";
import { MAX_POLICY_RESOURCES } from "./policy-spec.js";
import type { PolicyCrud } from "./policy-use-cases.js";
import { checkPolicyIds } from "./policy-use-cases.js";
import type { PolicyRepository, PolicyRunRepository } from "./ports.js";
import type { Policy, PolicyRun, PolicyTrigger } from "./types.js";

/** Job kinds of policy runs (jobs/kinds/run-policy.ts). */
export const RUN_POLICY = "RUN_POLICY";
export const POLICY_TICK = "POLICY_TICK";

/** Params of a RUN_POLICY job. */
export interface RunPolicyParams {
  policyId: string;
  trigger: PolicyTrigger;
  resourceIds: string[];
}

export interface PolicyRunDeps {
  crud: Pick<PolicyCrud, "get">;
  policies: Pick<PolicyRepository, "get" | "matching">;
  runs: Pick<PolicyRunRepository, "ensure" | "finish">;
  capture: PolicyCapture;
  jobs: Pick<JobUseCases, "enqueue">;
  /** Pushes a QUEUED job's start to `until` (never earlier); false when it is no longer QUEUED. */
  deferQueued(jobId: string, until: Date): Promise<boolean>;
  clock: Clock;
  newId: () => string;
}

export type PushPayload = { bytes: Uint8Array; snapshotType: SnapshotType };

/** A capture's audit context inside a job: the policy acts, the job is the request. */
const jobAudit = (policyId: string, jobId: string): AuditContext => ({ actor: `policy:${policyId}`, requestId: `job:${jobId}` });

/** Dedupe key of a resource's pending ON_CHANGE capture (hashed: resource ids may be 256 characters). */
const changeKey = (policyId: string, resourceId: string, suffix = "") =>
  `policy-change:${policyId}:${createHash("sha256").update(resourceId).digest("hex").slice(0, 32)}${suffix}`;

/** Starting policy runs: RunPolicy, NotifyChange, and the job handlers that execute runs. */
export function createPolicyRuns(deps: PolicyRunDeps) {
  const { clock } = deps;

  const newRun = (policy: Policy, trigger: PolicyTrigger, resourceIds: string[], id: string, jobId?: string, scheduledTime?: Date): PolicyRun => ({
    id,
    storeId: policy.storeId,
    policyId: policy.id,
    policyVersion: policy.version,
    trigger,
    state: "QUEUED",
    scheduledTime,
    resourceIds,
    snapshotIds: [],
    unchangedResourceIds: [],
    errors: [],
    jobId,
    createTime: clock.now(),
  });

  return {
    /**
     * RunPolicy: with a payload, stores it now and returns the ended run; without, queues a pull run
     * of `resourceIds` (or the policy's) and returns it QUEUED.
     */
    async run(
      storeId: string,
      policyId: string,
      opts: { resourceIds: string[]; resourceId: string; payload?: PushPayload; actor: string; audit: AuditContext },
    ): Promise<PolicyRun> {
      const policy = await deps.crud.get(storeId, policyId);
      const v = new Validator();
      if (opts.payload) v.pattern("resource_id", opts.resourceId, RESOURCE_ID_RE, 256, "free of control characters");
      if (opts.resourceIds.length > MAX_POLICY_RESOURCES) v.add("resource_ids", `must have at most ${MAX_POLICY_RESOURCES} entries`);
      opts.resourceIds.slice(0, MAX_POLICY_RESOURCES).forEach((r, i) => {
        if (!RESOURCE_ID_RE.test(r)) v.add(`resource_ids[${i}]`, "must be 1-256 characters free of control characters");
      });
      v.throwIfAny();
      if (!policy.enabled) throw failedPrecondition(`policy ${policy.name} is disabled`, "POLICY_DISABLED");
      if (opts.payload) {
        const run = await deps.runs.ensure(newRun(policy, "MANUAL", [opts.resourceId], deps.newId()));
        const r = await deps.capture.push(policy, opts.resourceId, opts.payload.bytes, opts.payload.snapshotType, { audit: opts.audit });
        const end = { state: "SUCCEEDED" as const, endTime: clock.now(), snapshotIds: r.kind === "created" ? [r.snapshotId] : [], unchangedResourceIds: r.kind === "unchanged" ? [opts.resourceId] : [] };
        return deps.runs.finish(run, end, opts.audit);
      }
      if (!policy.captureTargetUrl) throw failedPrecondition(`policy ${policy.name} has no capture_target_url; push a payload instead`, "NO_CAPTURE_TARGET");
      const resourceIds = opts.resourceIds.length ? [...new Set(opts.resourceIds)] : policy.resourceIds;
      if (resourceIds.length === 0) throw failedPrecondition("nothing to capture: set resource_ids here or on the policy", "NO_RESOURCES");
      const params: RunPolicyParams = { policyId: policy.id, trigger: "MANUAL", resourceIds };
      const job = await deps.jobs.enqueue(storeId, RUN_POLICY, { actor: opts.actor, audit: opts.audit, params: { ...params } });
      return deps.runs.ensure(newRun(policy, "MANUAL", resourceIds, job.id, job.id));
    },

    /**
     * NotifyChange: queues a capture of the resource for every matching enabled policy. ON_PUBLISH
     * captures start at once; ON_CHANGE captures wait for the debounce, and a change reported while
     * one waits pushes its start back (one capture per burst).
     */
    async notifyChange(storeId: string, resourceType: string, resourceId: string, event: "ON_CHANGE" | "ON_PUBLISH" | undefined, actor: string) {
      const v = new Validator();
      v.storeId("store_id", storeId);
      v.pattern("resource_type", resourceType, RESOURCE_TYPE_RE, 64, "1-64 characters of [A-Za-z0-9._:-]");
      v.pattern("resource_id", resourceId, RESOURCE_ID_RE, 256, "free of control characters");
      if (!event) v.add("event", "is required");
      v.throwIfAny();
      const matching = (await deps.policies.matching(storeId, resourceType, event!)).filter((p) => p.captureTargetUrl);
      const now = clock.now();
      let captureTime = now;
      for (const p of matching) {
        const params: RunPolicyParams = { policyId: p.id, trigger: event!, resourceIds: [resourceId] };
        const runAfter = new Date(now.getTime() + (event === "ON_CHANGE" ? p.debounceMs : 0));
        if (runAfter > captureTime) captureTime = runAfter;
        // A capture already running may have read the state before this change: queue a follow-up.
        for (const suffix of ["", ":next"]) {
          const job = await deps.jobs.enqueue(storeId, RUN_POLICY, { actor, params: { ...params }, runAfter, dedupeKey: changeKey(p.id, resourceId, suffix) });
          if (job.state === "QUEUED" && (job.runAfter >= runAfter || (await deps.deferQueued(job.id, runAfter)))) break;
        }
      }
      return { policyIds: matching.map((p) => p.id), captureTime };
    },

    /** RUN_POLICY handler: executes the run whose id is the job's (created on first attempt). */
    async runJob(storeId: string, jobId: string, params: RunPolicyParams, signal: AbortSignal): Promise<PolicyRun | undefined> {
      const policy = await deps.policies.get(storeId, params.policyId);
      if (!policy || !policy.enabled) return undefined;
      const run = await deps.runs.ensure(newRun(policy, params.trigger, params.resourceIds, jobId, jobId));
      return deps.capture.execute(run, policy, { audit: jobAudit(policy.id, jobId), signal });
    },

    /** POLICY_TICK handler: one cron slot of one policy, run once whichever process enqueued it. */
    async runTick(storeId: string, policyId: string, jobId: string, slot: Date | undefined, signal: AbortSignal): Promise<PolicyRun | undefined> {
      checkPolicyIds(storeId, policyId);
      const policy = await deps.policies.get(storeId, policyId);
      if (!policy || !policy.enabled || policy.trigger !== "CRON") return undefined;
      const run = await deps.runs.ensure(newRun(policy, "CRON", policy.resourceIds, jobId, jobId, slot));
      if (!policy.captureTargetUrl || policy.resourceIds.length === 0) {
        const end = { state: "FAILED" as const, endTime: clock.now(), errors: [{ resourceId: "", code: "FAILED_PRECONDITION", message: "the policy has no capture_target_url or no resource_ids" }] };
        return deps.runs.finish(run, end, jobAudit(policy.id, jobId));
      }
      return deps.capture.execute(run, policy, { audit: jobAudit(policy.id, jobId), signal });
    },
  };
}

export type PolicyRuns = ReturnType<typeof createPolicyRuns>;
