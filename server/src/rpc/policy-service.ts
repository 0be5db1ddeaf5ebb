import type { ServiceImpl } from "@connectrpc/connect";
import { PolicyService } from "../../../gen/vellum/v1/policy_service_pb.js";
import type { PolicyRuns } from "../domain/policies/policy-runs.js";
import type { PolicyCrud } from "../domain/policies/policy-use-cases.js";
import { Validator } from "../domain/validate.js";
import { auditOf, callerOf } from "./context.js";
import { ts } from "./convert.js";
import { pushPayloadFromPb } from "./create-request.js";
import { changeEventFromPb, policyFromPb, policyToPb, runToPb } from "./policy-convert.js";

/** PolicyService: policy CRUD, runs, and change notifications from owning services. */
export function createPolicyServiceImpl(deps: { policies: { crud: PolicyCrud; runs: PolicyRuns } }): ServiceImpl<typeof PolicyService> {
  const { crud, runs } = deps.policies;
  return {
    async createPolicy(req, ctx) {
      return { policy: policyToPb(await crud.create(req.storeId, policyFromPb(req.policy), callerOf(ctx).id, auditOf(ctx))) };
    },
    async getPolicy(req) {
      return { policy: policyToPb(await crud.get(req.storeId, req.policyId)) };
    },
    async listPolicies(req) {
      const page = await crud.list(req.storeId, req.pageSize, req.pageToken);
      const now = new Date();
      return { policies: page.policies.map((p) => policyToPb(p, now)), nextPageToken: page.nextPageToken };
    },
    async updatePolicy(req, ctx) {
      const p = await crud.update(req.storeId, req.policy?.policyId ?? "", policyFromPb(req.policy), req.updateMask?.paths ?? [], req.etag, auditOf(ctx));
      return { policy: policyToPb(p) };
    },
    async deletePolicy(req, ctx) {
      await crud.delete(req.storeId, req.policyId, req.etag, auditOf(ctx));
      return {};
    },
    async runPolicy(req, ctx) {
      let payload;
      if (req.payload.case !== undefined) {
        const v = new Validator();
        const { bytes, snapshotType } = pushPayloadFromPb(req.payload, req.snapshotType, v);
        if (!snapshotType) v.add("snapshot_type", "is required with a data payload");
        v.throwIfAny();
        payload = { bytes, snapshotType: snapshotType! };
      }
      const run = await runs.run(req.storeId, req.policyId, { resourceIds: req.resourceIds, resourceId: req.resourceId, payload, actor: callerOf(ctx).id, audit: auditOf(ctx) });
      return { run: runToPb(run) };
    },
    async getPolicyRun(req) {
      return { run: runToPb(await crud.getRun(req.storeId, req.policyId, req.runId)) };
    },
    async listPolicyRuns(req) {
      const page = await crud.listRuns(req.storeId, req.policyId, req.pageSize, req.pageToken);
      return { runs: page.runs.map(runToPb), nextPageToken: page.nextPageToken };
    },
    async notifyChange(req, ctx) {
      const r = await runs.notifyChange(req.storeId, req.resourceType, req.resourceId, changeEventFromPb(req.event), callerOf(ctx).id);
      return { policyIds: r.policyIds, captureTime: ts(r.captureTime) };
    },
  };
}
