import type { AuditContext } from "../audit/audit-context.js";
import { invalidField } from "../errors.js";
import type { JobUseCases } from "../jobs/service.js";
import { decodePageToken, encodePageToken } from "../paging.js";
import type { Clock } from "../ports.js";
import { Validator } from "../validate.js";
import { evaluateStore, type EvaluationDeps } from "./evaluate-store.js";
import type { AuditLog, RetentionDeleter, RetentionRuleRepository } from "./ports.js";
import { MAX_RULES, validateRuleSpec, type RuleSpecInput } from "./rule-spec.js";
import type { Decision, EvaluatedRule, RetentionTotals } from "./types.js";

/** Decisions per PreviewRetention page: default and maximum. */
export const DEFAULT_PREVIEW_LIMIT = 1000;
export const MAX_PREVIEW_LIMIT = 1000;
/** Snapshots soft-deleted per transaction by a run. */
const DELETE_BATCH = 100;
/** Deleted snapshot ids listed in a run report (the audit log has every one). */
export const MAX_REPORTED_IDS = 1000;

export interface RetentionDeps extends EvaluationDeps {
  rules: RetentionRuleRepository;
  deleter: RetentionDeleter;
  auditLog: AuditLog;
  jobs: Pick<JobUseCases, "enqueue">;
  clock: Clock;
  /** How long a soft-deleted snapshot can be undeleted before it is purged. */
  undeleteWindowMs: number;
}

export interface PreviewRequest {
  storeId: string;
  limit: number;
  /** What-if rules evaluated instead of the stored ones; empty = stored rules. */
  rules: RuleSpecInput[];
  deletionsOnly: boolean;
  pageToken: string;
}

export interface RunReport {
  storeId: string;
  dryRun: boolean;
  evaluateTime: Date;
  totals: RetentionTotals;
  /** Soft-deleted by this run (0 with dryRun). */
  deletedCount: number;
  /** Decided DELETE but protected by the time of deletion, so left alone. */
  skippedCount: number;
  /** The first MAX_REPORTED_IDS deleted ids. */
  deletedSnapshotIds: string[];
}

interface PreviewCursor {
  t: Date;
  p: string;
}

const parseCursor = (c: unknown): PreviewCursor | undefined => {
  if (!c || typeof c !== "object") return undefined;
  const { t, p } = c as { t?: unknown; p?: unknown };
  if (typeof t !== "string" || typeof p !== "string") return undefined;
  const time = new Date(t);
  return Number.isNaN(time.getTime()) ? undefined : { t: time, p };
};

/** PreviewRetention, RunRetention and the retention run itself. */
export function createRetentionUseCases(deps: RetentionDeps) {
  const storedRules = async (storeId: string): Promise<EvaluatedRule[]> => (await deps.rules.all(storeId)).filter((r) => r.enabled);

  return {
    /** The explained dry run (see RetentionService in the proto): totals plus one page of decisions. */
    async preview(req: PreviewRequest) {
      const v = new Validator();
      v.storeId("store_id", req.storeId);
      if (req.limit < 0) v.add("limit", "must not be negative");
      if (req.rules.length > MAX_RULES) v.add("rules", `must have at most ${MAX_RULES} entries`);
      const whatIf = req.rules.slice(0, MAX_RULES).map((r, i) => ({ ...validateRuleSpec(r, v, `rules[${i}].`), id: "" }));
      const names = new Set<string>();
      whatIf.forEach((r, i) => {
        if (names.has(r.name)) v.add(`rules[${i}].name`, "must be unique among the rules given");
        names.add(r.name);
      });
      v.throwIfAny();
      const limit = req.limit === 0 ? DEFAULT_PREVIEW_LIMIT : Math.min(req.limit, MAX_PREVIEW_LIMIT);
      const filters = { storeId: req.storeId, rules: whatIf, deletionsOnly: req.deletionsOnly, limit };
      const cursor = decodePageToken(req.pageToken, filters, parseCursor);
      if (cursor && cursor.t.getTime() > deps.clock.now().getTime()) throw invalidField("page_token", "is not a token this server issued");
      const now = cursor?.t ?? deps.clock.now();
      const rules = whatIf.length ? whatIf : await storedRules(req.storeId);
      const page: { decision: Decision; position: string }[] = [];
      let more = false;
      const { totals } = await evaluateStore(deps, req.storeId, rules, now, {
        after: cursor?.p,
        visit: (d, c) => {
          if (!c.afterCursor || (req.deletionsOnly && d.decision !== "DELETE")) return;
          if (page.length < limit) page.push({ decision: d, position: c.position });
          else more = true;
        },
      });
      // Lineage may have turned some tentative deletions into keeps after they were paged.
      const shown = req.deletionsOnly ? page.filter((e) => e.decision.decision === "DELETE") : page;
      const last = page[page.length - 1];
      return {
        totals,
        decisions: shown.map((e) => e.decision),
        nextPageToken: more && last ? encodePageToken({ t: now.toISOString(), p: last.position }, filters) : "",
        evaluateTime: now,
      };
    },

    /** Queues a RUN_RETENTION job whose handler calls `run`. */
    async startRun(storeId: string, opts: { dryRun: boolean; priority: number; actor: string; audit: AuditContext }) {
      const v = new Validator();
      v.storeId("store_id", storeId);
      v.throwIfAny();
      return deps.jobs.enqueue(storeId, "RUN_RETENTION", {
        priority: opts.priority,
        actor: opts.actor,
        params: { dryRun: opts.dryRun, auditActor: opts.audit.actor, auditRequestId: opts.audit.requestId },
        audit: opts.audit,
      });
    },

    /**
     * runRetention: evaluates the stored rules now, exactly as a preview taken at this moment does,
     * and soft-deletes every DELETE decision (nothing with `dryRun`), each audited with the rules
     * that selected it; snapshots protected since the evaluation are skipped. Ends with a
     * `retention.run.completed` audit event holding the report.
     */
    async run(
      storeId: string,
      opts: { dryRun: boolean; audit: AuditContext; jobId?: string; signal?: AbortSignal; progress?: (percent: number) => void },
    ): Promise<RunReport> {
      const now = deps.clock.now();
      const { totals, deletions } = await evaluateStore(deps, storeId, await storedRules(storeId), now, { signal: opts.signal });
      opts.progress?.(50);
      const deleted: string[] = [];
      if (!opts.dryRun) {
        for (let i = 0; i < deletions.length; i += DELETE_BATCH) {
          opts.signal?.throwIfAborted();
          const batch = deletions.slice(i, i + DELETE_BATCH).map((d) => ({ id: d.candidate.id, reasons: d.reasons }));
          const deleteTime = deps.clock.now();
          const purgeTime = new Date(deleteTime.getTime() + deps.undeleteWindowMs);
          deleted.push(...(await deps.deleter.softDelete(storeId, batch, { deleteTime, purgeTime }, opts.audit, opts.jobId)));
          opts.progress?.(50 + (50 * (i + batch.length)) / deletions.length);
        }
      }
      const report: RunReport = {
        storeId,
        dryRun: opts.dryRun,
        evaluateTime: now,
        totals,
        deletedCount: deleted.length,
        skippedCount: opts.dryRun ? 0 : deletions.length - deleted.length,
        deletedSnapshotIds: deleted.slice(0, MAX_REPORTED_IDS),
      };
      await deps.auditLog.append(opts.audit, {
        storeId,
        action: "retention.run.completed",
        resourceType: "store",
        resourceId: storeId,
        before: null,
        after: { ...report, jobId: opts.jobId ?? null, evaluateTime: now.toISOString() },
      });
      return report;
    },
  };
}

export type RetentionUseCases = ReturnType<typeof createRetentionUseCases>;
