/** `compose`: several snapshots into a new one (a COMPOSE_SNAPSHOTS job). */
import { composeConflicts, composeSnapshots, ComposeStrategy, ConflictResolution, type Job } from "@vellum/sdk";
import type { CommandGroup } from "../command.js";
import { CliError } from "../exit-codes.js";
import { printJob, watchJob } from "../job-watch.js";
import { collect, enumValue, parseLabels, parseResource } from "../parse.js";
import { resolveSnapshotId } from "../refs.js";

const PREFER: Record<string, ConflictResolution> = {
  left: ConflictResolution.PREFER_LEFT,
  right: ConflictResolution.PREFER_RIGHT,
  latest: ConflictResolution.LATEST,
  manual: ConflictResolution.MANUAL,
};

export const composeCommands: CommandGroup = {
  register(program, withContext) {
    program
      .command("compose")
      .description("compose snapshots into a new one: JSON overlay (RFC 7396), union (arrays keyed by id), patch (RFC 6902), or tar member overlay")
      .argument("<snapshots...>", "2..32 snapshot ids or <type>/<id>@<version>, in composition order")
      .requiredOption("--strategy <strategy>", "overlay, union or patch")
      .option("--prefer <who>", "conflict winner: left, right, latest, or manual (fail and list conflicts)", "right")
      .option("--resource <type/id>", "store the result as a version of this resource")
      .option("-m, --message <text>", "commit message")
      .option("--tag <tag>", "tag the result (repeatable)", collect)
      .option("--label <key=value>", "label the result (repeatable)", collect)
      .option("--no-wait", "print the queued job and return")
      .action(
        withContext(
          async (ctx, refs: string[], o: { strategy: string; prefer: string; resource?: string; message?: string; tag?: string[]; label?: string[]; wait: boolean }) => {
            const conflictResolution = PREFER[o.prefer.toLowerCase()];
            if (conflictResolution === undefined) throw new CliError(`--prefer must be one of ${Object.keys(PREFER).join(", ")}, got ${JSON.stringify(o.prefer)}`);
            const r = o.resource ? parseResource(o.resource) : undefined;
            const job: Job = await composeSnapshots(ctx.client(), {
              storeId: ctx.store(),
              snapshotIds: await Promise.all(refs.map((ref) => resolveSnapshotId(ctx, ref))),
              strategy: enumValue(ComposeStrategy, "--strategy", o.strategy),
              conflictResolution,
              resourceType: r?.type,
              resourceId: r?.id,
              metadata: o.message ? { commitMessage: o.message } : undefined,
              tags: o.tag,
              labels: parseLabels(o.label),
            });
            if (!o.wait) return printJob(ctx, job);
            try {
              await watchJob(ctx, job.jobId, "compose");
            } catch (e) {
              const done = await ctx.client().jobs.getJob({ storeId: ctx.store(), jobId: job.jobId });
              const conflicts = done.job ? composeConflicts(done.job) : [];
              if (conflicts.length && !ctx.out.json) ctx.out.print(conflicts.map((c) => `conflict ${c.path}: ${c.message}`).join("\n"));
              throw e;
            }
          },
        ),
      );
  },
};
