/** Wrappers for snapshot policies and retention: paged lists and waiting for a policy run. */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { PolicyRunState, type Policy, type PolicyRun } from "../../gen/vellum/v1/policy_pb.js";
import type { GetPolicyRunRequestSchema, ListPoliciesRequestSchema, ListPoliciesResponse, ListPolicyRunsRequestSchema, ListPolicyRunsResponse } from "../../gen/vellum/v1/policy_service_pb.js";
import type { RetentionRule } from "../../gen/vellum/v1/retention_pb.js";
import type { ListRetentionRulesRequestSchema, ListRetentionRulesResponse } from "../../gen/vellum/v1/retention_service_pb.js";
import type { CallOptions, VellumClient } from "./client.js";
import { paginate, type Paged } from "./paginate.js";

/** A store's policies, newest first, across all pages. */
export function listPolicies(client: Pick<VellumClient, "policies">, req: MessageInitShape<typeof ListPoliciesRequestSchema>, options: CallOptions = {}): Paged<Policy, ListPoliciesResponse> {
  return paginate((r, o) => client.policies.listPolicies(r, o), req, (p) => p.policies, options);
}

/** A policy's runs, newest first, across all pages. */
export function listPolicyRuns(client: Pick<VellumClient, "policies">, req: MessageInitShape<typeof ListPolicyRunsRequestSchema>, options: CallOptions = {}): Paged<PolicyRun, ListPolicyRunsResponse> {
  return paginate((r, o) => client.policies.listPolicyRuns(r, o), req, (p) => p.runs, options);
}

/** A store's retention rules, newest first, across all pages. */
export function listRetentionRules(
  client: Pick<VellumClient, "retention">,
  req: MessageInitShape<typeof ListRetentionRulesRequestSchema>,
  options: CallOptions = {},
): Paged<RetentionRule, ListRetentionRulesResponse> {
  return paginate((r, o) => client.retention.listRetentionRules(r, o), req, (p) => p.rules, options);
}

/** True once a run has ended (SUCCEEDED or FAILED). */
export const policyRunEnded = (run: PolicyRun): boolean => run.state === PolicyRunState.SUCCEEDED || run.state === PolicyRunState.FAILED;

/**
 * Polls GetPolicyRun until the run ends and returns it (a FAILED run is returned, not thrown: its
 * `errors` say which resources failed). `intervalMs` defaults to 500; `options.signal` stops waiting.
 */
export async function waitForPolicyRun(
  client: Pick<VellumClient, "policies">,
  req: MessageInitShape<typeof GetPolicyRunRequestSchema>,
  options: CallOptions & { intervalMs?: number } = {},
): Promise<PolicyRun> {
  const { intervalMs = 500, ...call } = options;
  for (;;) {
    const { run } = await client.policies.getPolicyRun(req, call);
    if (run && policyRunEnded(run)) return run;
    call.signal?.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(resolve, intervalMs);
      call.signal?.addEventListener("abort", () => (clearTimeout(t), reject(call.signal!.reason)), { once: true });
    });
  }
}
