import type { AuditContext } from "../audit/audit-context.js";
import { notFound } from "../errors.js";
import { decodePageToken, encodePageToken, pageSizeOf, parseTimeIdCursor } from "../paging.js";
import type { Clock } from "../ports.js";
import { checkUpdateMask, mergeMasked } from "../update-mask.js";
import { Validator } from "../validate.js";
import type { RetentionRuleRepository } from "./ports.js";
import { MAX_RULES, RULE_MASK_PATHS, validateRuleSpec, type RuleSpecInput } from "./rule-spec.js";
import type { RetentionRule, RetentionRuleSpec } from "./types.js";

function checkIds(storeId: string, ruleId?: string): void {
  const v = new Validator();
  v.storeId("store_id", storeId);
  if (ruleId !== undefined) v.uuid("rule_id", ruleId);
  v.throwIfAny();
}

/** CRUD of retention rules, etag-checked and audited. */
export function createRetentionRuleUseCases(deps: { rules: RetentionRuleRepository; clock: Clock; newId: () => string }) {
  const { rules, clock } = deps;
  return {
    async create(storeId: string, input: RuleSpecInput, actor: string, audit: AuditContext): Promise<RetentionRule> {
      const v = new Validator();
      v.storeId("store_id", storeId);
      const spec = validateRuleSpec(input, v, "rule.");
      v.throwIfAny();
      const now = clock.now();
      return rules.insert({ ...spec, id: deps.newId(), storeId, generation: 1, createdBy: actor, createTime: now, updateTime: now }, MAX_RULES, audit);
    },

    async get(storeId: string, ruleId: string): Promise<RetentionRule> {
      checkIds(storeId, ruleId);
      const rule = await rules.get(storeId, ruleId.toLowerCase());
      if (!rule) throw notFound("retention rule", ruleId);
      return rule;
    },

    async list(storeId: string, pageSize: number, pageToken: string) {
      checkIds(storeId);
      const size = pageSizeOf(pageSize);
      const filter = { storeId };
      const page = await rules.list(storeId, size, decodePageToken(pageToken, filter, parseTimeIdCursor));
      return {
        rules: page.items,
        nextPageToken: page.next ? encodePageToken({ t: page.next.createTime.toISOString(), id: page.next.id }, filter) : "",
      };
    },

    /** Replaces the fields named in `mask` (proto field names) with those of `input`. */
    async update(storeId: string, ruleId: string, input: RuleSpecInput, mask: readonly string[], etag: string, audit: AuditContext): Promise<RetentionRule> {
      checkIds(storeId, ruleId);
      const v = new Validator();
      checkUpdateMask(v, mask, RULE_MASK_PATHS);
      v.throwIfAny();
      const updated = await rules.update(storeId, ruleId.toLowerCase(), {
        etag: etag || undefined,
        now: clock.now(),
        audit,
        change: (current) => {
          const merged = mergeMasked(current, input, mask, RULE_MASK_PATHS);
          const check = new Validator();
          const spec = validateRuleSpec(merged as unknown as RuleSpecInput, check, "rule.");
          check.throwIfAny();
          return specOf(spec);
        },
      });
      if (!updated) throw notFound("retention rule", ruleId);
      return updated;
    },

    async delete(storeId: string, ruleId: string, etag: string, audit: AuditContext): Promise<void> {
      checkIds(storeId, ruleId);
      if (!(await rules.delete(storeId, ruleId.toLowerCase(), etag || undefined, audit))) throw notFound("retention rule", ruleId);
    },
  };
}

/** The spec part of a rule (what a client sets): the fields an update mask can name. */
export const specOf = (r: RetentionRuleSpec): RetentionRuleSpec =>
  Object.fromEntries(Object.values(RULE_MASK_PATHS).map((k) => [k, r[k]])) as unknown as RetentionRuleSpec;

export type RetentionRuleUseCases = ReturnType<typeof createRetentionRuleUseCases>;
