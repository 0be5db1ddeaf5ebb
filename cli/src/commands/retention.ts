/** `retention rules|add|rm|preview|run` and `usage`: retention rules, the explained dry run, runs, storage usage. */
import {
  listRetentionRules,
  PreviewRetentionResponseSchema,
  RetentionDecisionKind,
  RetentionRuleSchema,
  StorageUsageSchema,
  toJson,
  type RetentionDecision,
  type RetentionRule,
  type UsageFigures,
} from "@vellum/sdk";
import type { CommandGroup } from "../command.js";
import { watchJob } from "../job-watch.js";
import { pageSizeFor, printList, take } from "../listing.js";
import { formatBytes } from "../output.js";
import { enumName, parseCount } from "../parse.js";

const RULE_HEAD = ["rule", "name", "selector", "clauses", "enabled", "etag"];
const CLAUSES = ["keepLatestN", "keepWithinDays", "keepDaily", "keepWeekly", "keepMonthly", "keepYearly", "deleteOlderThanDays"] as const;
const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function ruleRow(r: RetentionRule): string[] {
  const selector = [r.tag && `tag=${r.tag}`, r.resourceType && `type=${r.resourceType}`].filter(Boolean).join(" ") || "(all)";
  const clauses = CLAUSES.filter((k) => r[k] > 0).map((k) => `${kebab(k)}=${r[k]}`).join(" ");
  return [r.ruleId, r.name, selector, clauses, r.enabled ? "yes" : "no", r.etag];
}

/** One line per reason: "KEEP  product/sku-1 v3  newest in week 2026-W49 under rule nightly". */
function decisionRows(d: RetentionDecision): string[][] {
  const what = `${d.resourceType}/${d.resourceId}${d.version ? ` v${d.version}` : ""}`;
  const reasons = d.reasons.length ? d.reasons.map((r) => r.description) : [""];
  return reasons.map((reason, i) => (i === 0 ? [enumName(RetentionDecisionKind, d.decision), d.snapshotId, what, reason] : ["", "", "", reason]));
}

const usageRow = (key: string, u: UsageFigures | undefined): string[] => [
  key,
  String(u?.snapshotCount ?? 0n),
  formatBytes(u?.logicalBytes ?? 0n),
  formatBytes(u?.storedBytes ?? 0n),
  (u?.dedupRatio ?? 0).toFixed(2),
  formatBytes(u?.pinnedBytes ?? 0n),
  formatBytes(u?.pendingReclaimBytes ?? 0n),
];

export const retentionCommands: CommandGroup = {
  register(program, withContext) {
    const retention = program.command("retention").description("retention rules, the explained dry run (preview) and retention runs");
    retention
      .command("rules")
      .description("list the store's retention rules")
      .option("--limit <n>", "at most this many (0 for all)", "100")
      .action(
        withContext(async (ctx, o: { limit: string }) => {
          const limit = parseCount(o.limit, "--limit");
          const rules = await take(listRetentionRules(ctx.client(), { storeId: ctx.store(), pageSize: pageSizeFor(limit) }), limit);
          printList(ctx, rules, (r: RetentionRule) => toJson(RetentionRuleSchema, r), RULE_HEAD, ruleRow);
        }),
      );
    const add = retention
      .command("add")
      .description("add a rule: a selector (--tag, --resource-type) and at least one clause")
      .argument("<name>", "unique rule name")
      .option("--tag <tag>", "only snapshots with this tag")
      .option("--resource-type <type>", "only snapshots of this resource type")
      .option("--time-zone <zone>", "IANA zone of the daily/weekly/monthly/yearly periods", "UTC")
      .option("--include-pinned", "let the rule select pinned snapshots (they stay protected by their pin)")
      .option("--disabled", "create it disabled");
    for (const k of CLAUSES) add.option(`--${kebab(k)} <n>`, `the ${kebab(k).replace(/-/g, " ")} clause`);
    add.action(
      withContext(async (ctx, name: string, o: Record<string, string | boolean | undefined>) => {
        const counts = Object.fromEntries(CLAUSES.map((k) => [k, o[k] === undefined ? 0 : parseCount(String(o[k]), `--${kebab(k)}`)]));
        const rule = { name, tag: (o.tag as string) ?? "", resourceType: (o.resourceType as string) ?? "", timeZone: o.timeZone as string, excludePinned: !o.includePinned, enabled: !o.disabled, ...counts };
        const { rule: created } = await ctx.client().retention.createRetentionRule({ storeId: ctx.store(), rule });
        if (ctx.out.json) ctx.out.printJson(toJson(RetentionRuleSchema, created!));
        else ctx.out.print(`added rule ${created!.name} (${created!.ruleId})`);
      }),
    );
    retention
      .command("rm")
      .description("delete a rule")
      .argument("<rule>", "rule id")
      .option("--etag <etag>", "only if the rule's etag is still this")
      .action(
        withContext(async (ctx, ruleId: string, o: { etag?: string }) => {
          await ctx.client().retention.deleteRetentionRule({ storeId: ctx.store(), ruleId, etag: o.etag });
          if (ctx.out.json) ctx.out.printJson({ ruleId, deleted: true });
          else ctx.out.print(`deleted rule ${ruleId}`);
        }),
      );
    retention
      .command("preview")
      .description("dry run: what the rules would delete and why every snapshot is kept or deleted")
      .option("--deletions-only", "list only DELETE decisions")
      .option("--limit <n>", "decisions to show (at most 1000)", "1000")
      .action(
        withContext(async (ctx, o: { deletionsOnly?: boolean; limit: string }) => {
          const p = await ctx.client().retention.previewRetention({ storeId: ctx.store(), deletionsOnly: o.deletionsOnly ?? false, limit: parseCount(o.limit, "--limit") });
          if (ctx.out.json) return ctx.out.printJson(toJson(PreviewRetentionResponseSchema, p));
          ctx.out.table(["decision", "snapshot", "resource", "reasons"], p.decisions.flatMap(decisionRows));
          const t = p.totals!;
          ctx.out.print(
            `${t.consideredCount} considered, ${t.keepCount} kept, ${t.deleteCount} to delete (${formatBytes(t.deleteLogicalBytes)} logical, ` +
              `${formatBytes(t.reclaimableBytes)} reclaimable)${p.nextPageToken ? "; more decisions exist (raise --limit or use --json)" : ""}`,
          );
        }),
      );
    retention
      .command("run")
      .description("run the rules now (soft deletes, undeletable within the window) and follow the job")
      .option("--dry-run", "evaluate and report only")
      .option("--no-wait", "print the job and return at once")
      .action(
        withContext(async (ctx, o: { dryRun?: boolean; wait: boolean }) => {
          const { job } = await ctx.client().retention.runRetention({ storeId: ctx.store(), dryRun: o.dryRun ?? false });
          if (!o.wait) return ctx.out.print(job!.jobId);
          await watchJob(ctx, job!.jobId, "retention");
        }),
      );

    program
      .command("usage")
      .description("storage usage: totals and breakdowns by snapshot type, tag and resource type")
      .action(
        withContext(async (ctx) => {
          const { usage } = await ctx.client().storage.getStorageUsage({ storeId: ctx.store() });
          if (ctx.out.json) return ctx.out.printJson(toJson(StorageUsageSchema, usage!));
          const u = usage!;
          const rows = [
            usageRow("total", u.total),
            ...u.bySnapshotType.map((e) => usageRow(`type:${e.key}`, e.usage)),
            ...u.byTag.map((e) => usageRow(`tag:${e.key}`, e.usage)),
            ...u.byResourceType.map((e) => usageRow(`resource:${e.key}`, e.usage)),
          ];
          ctx.out.table(["group", "snapshots", "logical", "stored", "dedup", "pinned", "pending reclaim"], rows);
        }),
      );
  },
};
