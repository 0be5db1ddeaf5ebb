import { invalidField } from "../../domain/errors.js";
import { POLICY_TICK, RUN_POLICY, type PolicyRuns, type RunPolicyParams } from "../../domain/policies/policy-runs.js";
import { MAX_POLICY_RESOURCES } from "../../domain/policies/policy-spec.js";
import { POLICY_TRIGGERS, type PolicyRun, type PolicyTrigger } from "../../domain/policies/types.js";
import { UUID_RE } from "../../domain/validate.js";
import { defineJobKind, type JobOutcome } from "../kind.js";

const uuidParam = (raw: Record<string, unknown>, name: string): string => {
  const v = raw[name];
  if (typeof v !== "string" || !UUID_RE.test(v)) throw invalidField(`params.${name}`, "must be a UUID");
  return v.toLowerCase();
};

/** A run's end as a job outcome: its result details mirror the run (PolicyService documents runs). */
function outcomeOf(run: PolicyRun | undefined): JobOutcome {
  if (!run) return { ok: true, result: { details: { skipped: "the policy is gone, disabled or no longer a cron policy" } } };
  const details = { run_id: run.id, policy_id: run.policyId, snapshot_ids: run.snapshotIds, unchanged_resource_ids: run.unchangedResourceIds, error_count: run.errors.length };
  if (run.state === "SUCCEEDED") return { ok: true, result: { snapshotId: run.snapshotIds[0], details } };
  return { ok: false, result: { details }, errors: run.errors.slice(0, 100).map((e) => ({ code: e.code, message: e.message, subject: e.resourceId })) };
}

/** RUN_POLICY: a pull run of one policy (RunPolicy, NotifyChange); the run's id is the job's. */
export function runPolicyKind(deps: { runs: Pick<PolicyRuns, "runJob"> }) {
  return defineJobKind({
    type: RUN_POLICY,
    scope: "store",
    parseParams: (raw): RunPolicyParams => {
      const trigger = raw.trigger as PolicyTrigger;
      if (!POLICY_TRIGGERS.includes(trigger)) throw invalidField("params.trigger", `must be one of ${POLICY_TRIGGERS.join(", ")}`);
      const ids = raw.resourceIds;
      if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_POLICY_RESOURCES || !ids.every((r) => typeof r === "string" && r.length > 0 && r.length <= 256)) {
        throw invalidField("params.resourceIds", `must list 1-${MAX_POLICY_RESOURCES} resource ids`);
      }
      return { policyId: uuidParam(raw, "policyId"), trigger, resourceIds: ids as string[] };
    },
    handler: async ({ job, storeId, params, signal, log }) => {
      const run = await deps.runs.runJob(storeId, job.id, params, signal);
      if (run) log(`${run.snapshotIds.length} captured, ${run.unchangedResourceIds.length} unchanged, ${run.errors.length} failed`);
      return outcomeOf(run);
    },
  });
}

/** POLICY_TICK: one cron slot of one policy (system job; the scheduler enqueues each slot once). */
export function policyTickKind(deps: { runs: Pick<PolicyRuns, "runTick"> }) {
  return defineJobKind({
    type: POLICY_TICK,
    scope: "system",
    parseParams: (raw) => {
      const storeId = raw.storeId;
      if (typeof storeId !== "string" || storeId.length === 0 || storeId.length > 64) throw invalidField("params.storeId", "must be a store id");
      return { storeId, policyId: uuidParam(raw, "policyId") };
    },
    handler: async ({ job, params, signal }) => outcomeOf(await deps.runs.runTick(params.storeId, params.policyId, job.id, job.scheduledTime, signal)),
  });
}
