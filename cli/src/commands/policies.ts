/** `policies ls|add|show|rm|run|runs|notify`: snapshot policies and their runs. */
import { ChangeEvent, listPolicies, listPolicyRuns, PolicyRunSchema, PolicyRunState, PolicySchema, PolicyTrigger, toJson, waitForPolicyRun, type Policy, type PolicyRun } from "@vellum/sdk";
import type { CommandGroup } from "../command.js";
import type { CliContext } from "../context.js";
import { CliError, exitCodeForName } from "../exit-codes.js";
import { pageSizeFor, printList, take } from "../listing.js";
import { collect, enumName, enumValue, parseCount, parseDuration, parseResource } from "../parse.js";

const POLICY_HEAD = ["policy", "name", "resource type", "trigger", "schedule", "enabled", "next run", "version"];
const RUN_HEAD = ["run", "trigger", "state", "snapshots", "unchanged", "errors", "started"];
const iso = (t: { seconds: bigint } | undefined) => (t ? new Date(Number(t.seconds) * 1000).toISOString() : "");

const policyRow = (p: Policy): string[] => [
  p.policyId,
  p.name,
  p.resourceType,
  enumName(PolicyTrigger, p.trigger),
  p.cronExpression ? `${p.cronExpression} (${p.timeZone})` : "",
  p.enabled ? "yes" : "no",
  iso(p.nextRunTime),
  String(p.version),
];
const runRow = (r: PolicyRun): string[] => [
  r.runId,
  enumName(PolicyTrigger, r.trigger),
  enumName(PolicyRunState, r.state),
  r.snapshotIds.join(" "),
  r.unchangedResourceIds.join(" "),
  r.errors.map((e) => `${e.resourceId}: ${e.code}`).join("; "),
  iso(r.createTime),
];

function printRun(ctx: CliContext, r: PolicyRun): void {
  if (ctx.out.json) ctx.out.printJson(toJson(PolicyRunSchema, r));
  else ctx.out.details([
    ["run", r.runId],
    ["state", enumName(PolicyRunState, r.state)],
    ["created", r.snapshotIds.join(" ")],
    ["unchanged", r.unchangedResourceIds.join(" ")],
    ...r.errors.map((e): [string, string] => [`error ${e.resourceId}`, `${e.code}: ${e.message}`]),
  ]);
}

export const policyCommands: CommandGroup = {
  register(program, withContext) {
    const policies = program.command("policies").description("snapshot policies: captures on a schedule, on change, on publish or on demand");
    policies
      .command("ls")
      .description("list policies, newest first")
      .option("--limit <n>", "at most this many (0 for all)", "50")
      .action(
        withContext(async (ctx, o: { limit: string }) => {
          const limit = parseCount(o.limit, "--limit");
          printList(ctx, await take(listPolicies(ctx.client(), { storeId: ctx.store(), pageSize: pageSizeFor(limit) }), limit), (p: Policy) => toJson(PolicySchema, p), POLICY_HEAD, policyRow);
        }),
      );
    policies
      .command("add")
      .description("create a policy")
      .argument("<name>", "unique policy name")
      .requiredOption("--resource-type <type>", "the resource type captured")
      .requiredOption("--trigger <trigger>", "cron, on-change, on-publish or manual")
      .option("--cron <expression>", "cron expression (with --trigger cron), e.g. \"0 2 * * *\"")
      .option("--time-zone <zone>", "IANA time zone of --cron", "UTC")
      .option("--target <url>", "base URL of the owning service's RestoreTargetService")
      .option("--resource <id>", "a resource captured by cron and manual runs (repeatable)", collect)
      .option("--debounce <duration>", "on-change quiet period, e.g. 5s")
      .option("--retention-days <n>", "ttl of the snapshots it creates", "0")
      .option("--keep-latest <n>", "keep at most this many of its snapshots per resource", "0")
      .option("--tag <tag>", "a tag put on every snapshot it creates (repeatable)", collect)
      .option("--disabled", "create it disabled")
      .action(
        withContext(async (ctx, name: string, o: Record<string, string | string[] | boolean | undefined>) => {
          const policy = {
            name,
            resourceType: o.resourceType as string,
            trigger: enumValue(PolicyTrigger, "--trigger", o.trigger as string),
            cronExpression: (o.cron as string) ?? "",
            timeZone: o.timeZone as string,
            captureTargetUrl: (o.target as string) ?? "",
            resourceIds: (o.resource as string[]) ?? [],
            debounce: o.debounce ? { seconds: BigInt(parseDuration(o.debounce as string, "--debounce")) } : undefined,
            retentionDays: parseCount(o.retentionDays as string, "--retention-days"),
            keepLatestN: parseCount(o.keepLatest as string, "--keep-latest"),
            tagsToInclude: (o.tag as string[]) ?? [],
            enabled: !o.disabled,
          };
          const { policy: created } = await ctx.client().policies.createPolicy({ storeId: ctx.store(), policy });
          if (ctx.out.json) ctx.out.printJson(toJson(PolicySchema, created!));
          else ctx.out.print(`added policy ${created!.name} (${created!.policyId})${created!.nextRunTime ? `, next run ${iso(created!.nextRunTime)}` : ""}`);
        }),
      );
    policies
      .command("show")
      .description("a policy")
      .argument("<policy>", "policy id")
      .action(
        withContext(async (ctx, policyId: string) => {
          const { policy } = await ctx.client().policies.getPolicy({ storeId: ctx.store(), policyId });
          if (ctx.out.json) ctx.out.printJson(toJson(PolicySchema, policy!));
          else ctx.out.details(POLICY_HEAD.map((h, i): [string, string] => [h, policyRow(policy!)[i]]));
        }),
      );
    policies
      .command("rm")
      .description("delete a policy and its runs (its snapshots stay)")
      .argument("<policy>", "policy id")
      .option("--etag <etag>", "only if the policy's etag is still this")
      .action(
        withContext(async (ctx, policyId: string, o: { etag?: string }) => {
          await ctx.client().policies.deletePolicy({ storeId: ctx.store(), policyId, etag: o.etag });
          if (ctx.out.json) ctx.out.printJson({ policyId, deleted: true });
          else ctx.out.print(`deleted policy ${policyId}`);
        }),
      );
    policies
      .command("run")
      .description("run a policy now and wait for the run; exits non-zero when a resource failed")
      .argument("<policy>", "policy id")
      .option("--resource <id>", "capture this resource instead of the policy's (repeatable)", collect)
      .option("--no-wait", "print the queued run and return at once")
      .action(
        withContext(async (ctx, policyId: string, o: { resource?: string[]; wait: boolean }) => {
          const storeId = ctx.store();
          let { run } = await ctx.client().policies.runPolicy({ storeId, policyId, resourceIds: o.resource ?? [] });
          if (o.wait) run = await waitForPolicyRun(ctx.client(), { storeId, policyId, runId: run!.runId });
          printRun(ctx, run!);
          if (run!.state === PolicyRunState.FAILED) throw new CliError(`policy run ${run!.runId} failed for ${run!.errors.length} resource(s)`, exitCodeForName(run!.errors[0]?.code ?? "UNKNOWN"));
        }),
      );
    policies
      .command("runs")
      .description("a policy's runs, newest first")
      .argument("<policy>", "policy id")
      .option("--limit <n>", "at most this many (0 for all)", "20")
      .action(
        withContext(async (ctx, policyId: string, o: { limit: string }) => {
          const limit = parseCount(o.limit, "--limit");
          const runs = await take(listPolicyRuns(ctx.client(), { storeId: ctx.store(), policyId, pageSize: pageSizeFor(limit) }), limit);
          printList(ctx, runs, (r: PolicyRun) => toJson(PolicyRunSchema, r), RUN_HEAD, runRow);
        }),
      );
    policies
      .command("notify")
      .description("report that a resource changed (or was published), as an owning service does")
      .argument("<resource>", "<type>/<id>")
      .option("--publish", "a publish rather than a change")
      .action(
        withContext(async (ctx, resource: string, o: { publish?: boolean }) => {
          const r = parseResource(resource);
          const res = await ctx.client().policies.notifyChange({ storeId: ctx.store(), resourceType: r.type, resourceId: r.id, event: o.publish ? ChangeEvent.ON_PUBLISH : ChangeEvent.ON_CHANGE });
          if (ctx.out.json) ctx.out.printJson({ policyIds: res.policyIds, captureTime: iso(res.captureTime) });
          else ctx.out.print(res.policyIds.length ? `${res.policyIds.length} policies capture ${resource} from ${iso(res.captureTime)}` : "no policy captures this resource");
        }),
      );
  },
};
