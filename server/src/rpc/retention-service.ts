import type { ServiceImpl } from "@connectrpc/connect";
import { RetentionService } from "../../../gen/vellum/v1/retention_service_pb.js";
import type { RetentionUseCases } from "../domain/retention/retention-use-cases.js";
import type { RetentionRuleUseCases } from "../domain/retention/rule-use-cases.js";
import { auditOf, callerOf } from "./context.js";
import { jobToPb, ts } from "./convert.js";
import { decisionToPb, ruleFromPb, ruleToPb, totalsToPb } from "./retention-convert.js";

/** RetentionService: rules CRUD, the explained dry run, and retention runs as jobs. */
export function createRetentionServiceImpl(deps: { rules: RetentionRuleUseCases; retention: RetentionUseCases }): ServiceImpl<typeof RetentionService> {
  const { rules, retention } = deps;
  return {
    async createRetentionRule(req, ctx) {
      return { rule: ruleToPb(await rules.create(req.storeId, ruleFromPb(req.rule), callerOf(ctx).id, auditOf(ctx))) };
    },
    async getRetentionRule(req) {
      return { rule: ruleToPb(await rules.get(req.storeId, req.ruleId)) };
    },
    async listRetentionRules(req) {
      const page = await rules.list(req.storeId, req.pageSize, req.pageToken);
      return { rules: page.rules.map(ruleToPb), nextPageToken: page.nextPageToken };
    },
    async updateRetentionRule(req, ctx) {
      const rule = await rules.update(req.storeId, req.rule?.ruleId ?? "", ruleFromPb(req.rule), req.updateMask?.paths ?? [], req.etag, auditOf(ctx));
      return { rule: ruleToPb(rule) };
    },
    async deleteRetentionRule(req, ctx) {
      await rules.delete(req.storeId, req.ruleId, req.etag, auditOf(ctx));
      return {};
    },
    async previewRetention(req) {
      const p = await retention.preview({
        storeId: req.storeId,
        limit: req.limit,
        rules: req.rules.map(ruleFromPb),
        deletionsOnly: req.deletionsOnly,
        pageToken: req.pageToken,
      });
      return { totals: totalsToPb(p.totals), decisions: p.decisions.map(decisionToPb), nextPageToken: p.nextPageToken, evaluateTime: ts(p.evaluateTime) };
    },
    async runRetention(req, ctx) {
      const job = await retention.startRun(req.storeId, { dryRun: req.dryRun, priority: req.priority, actor: callerOf(ctx).id, audit: auditOf(ctx) });
      return { job: jobToPb(job) };
    },
  };
}
