import type { AuditContext } from "../audit/audit-context.js";
import { notFound } from "../errors.js";
import { decodePageToken, encodePageToken, pageSizeOf, parseTimeIdCursor } from "../paging.js";
import type { Clock } from "../ports.js";
import { checkUpdateMask, mergeMasked } from "../update-mask.js";
import { Validator } from "../validate.js";
import { cronSchedule } from "./cron.js";
import type { PolicyRepository, PolicyRunRepository } from "./ports.js";
import { MAX_POLICIES, POLICY_MASK_PATHS, validatePolicySpec, type PolicySpecInput } from "./policy-spec.js";
import type { Policy, PolicyRun, PolicySpec } from "./types.js";

export function checkPolicyIds(storeId: string, policyId?: string, runId?: string): void {
  const v = new Validator();
  v.storeId("store_id", storeId);
  if (policyId !== undefined) v.uuid("policy_id", policyId);
  if (runId !== undefined) v.uuid("run_id", runId);
  v.throwIfAny();
}

/** The next cron slot after `now` of an enabled CRON policy; undefined for any other. */
export const nextRunTime = (p: Policy, now: Date): Date | undefined =>
  p.trigger === "CRON" && p.enabled ? cronSchedule(p.cronExpression, p.timeZone).next(now) : undefined;

export interface PolicyCrudDeps {
  policies: PolicyRepository;
  runs: Pick<PolicyRunRepository, "get" | "list">;
  /** Checks a capture URL against the outbound guard (INVALID_ARGUMENT naming `field`). */
  checkUrl(url: string, field: string): Promise<unknown>;
  clock: Clock;
  newId: () => string;
}

/** CRUD of policies (etag-checked, audited, versioned) and reads of their runs. */
export function createPolicyCrud(deps: PolicyCrudDeps) {
  const { policies, clock } = deps;
  const checkTarget = async (spec: PolicySpec) => {
    if (spec.captureTargetUrl) await deps.checkUrl(spec.captureTargetUrl, "policy.capture_target_url");
  };

  async function get(storeId: string, policyId: string): Promise<Policy> {
    checkPolicyIds(storeId, policyId);
    const p = await policies.get(storeId, policyId.toLowerCase());
    if (!p) throw notFound("policy", policyId);
    return p;
  }

  return {
    get,

    async create(storeId: string, input: PolicySpecInput, actor: string, audit: AuditContext): Promise<Policy> {
      const v = new Validator();
      v.storeId("store_id", storeId);
      const spec = validatePolicySpec(input, v, "policy.");
      v.throwIfAny();
      await checkTarget(spec);
      const now = clock.now();
      return policies.insert({ ...spec, id: deps.newId(), storeId, version: 1, createdBy: actor, createTime: now, updateTime: now }, MAX_POLICIES, audit);
    },

    async list(storeId: string, pageSize: number, pageToken: string) {
      checkPolicyIds(storeId);
      const size = pageSizeOf(pageSize);
      const filter = { storeId };
      const page = await policies.list(storeId, size, decodePageToken(pageToken, filter, parseTimeIdCursor));
      return { policies: page.items, nextPageToken: page.next ? encodePageToken({ t: page.next.createTime.toISOString(), id: page.next.id }, filter) : "" };
    },

    /** Replaces the fields named in `mask` (proto field names) with those of `input`. */
    async update(storeId: string, policyId: string, input: PolicySpecInput, mask: readonly string[], etag: string, audit: AuditContext): Promise<Policy> {
      checkPolicyIds(storeId, policyId);
      const v = new Validator();
      checkUpdateMask(v, mask, POLICY_MASK_PATHS);
      v.throwIfAny();
      if (mask.includes("capture_target_url") && input.captureTargetUrl) await deps.checkUrl(input.captureTargetUrl, "policy.capture_target_url");
      const updated = await policies.update(storeId, policyId.toLowerCase(), {
        etag: etag || undefined,
        now: clock.now(),
        audit,
        change: (current) => {
          const merged = mergeMasked(current, input, mask, POLICY_MASK_PATHS);
          const check = new Validator();
          const spec = validatePolicySpec(merged as unknown as PolicySpecInput, check, "policy.");
          check.throwIfAny();
          return Object.fromEntries(Object.values(POLICY_MASK_PATHS).map((k) => [k, spec[k]])) as unknown as PolicySpec;
        },
      });
      if (!updated) throw notFound("policy", policyId);
      return updated;
    },

    async delete(storeId: string, policyId: string, etag: string, audit: AuditContext): Promise<void> {
      checkPolicyIds(storeId, policyId);
      if (!(await policies.delete(storeId, policyId.toLowerCase(), etag || undefined, audit))) throw notFound("policy", policyId);
    },

    async getRun(storeId: string, policyId: string, runId: string): Promise<PolicyRun> {
      checkPolicyIds(storeId, policyId, runId);
      const run = await deps.runs.get(storeId, policyId.toLowerCase(), runId.toLowerCase());
      if (!run) throw notFound("policy run", runId);
      return run;
    },

    async listRuns(storeId: string, policyId: string, pageSize: number, pageToken: string) {
      await get(storeId, policyId);
      const size = pageSizeOf(pageSize);
      const filter = { storeId, policyId: policyId.toLowerCase() };
      const page = await deps.runs.list(storeId, filter.policyId, size, decodePageToken(pageToken, filter, parseTimeIdCursor));
      return { runs: page.items, nextPageToken: page.next ? encodePageToken({ t: page.next.createTime.toISOString(), id: page.next.id }, filter) : "" };
    },
  };
}

export type PolicyCrud = ReturnType<typeof createPolicyCrud>;
