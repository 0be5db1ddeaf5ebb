/** `jobs ls` and `jobs watch`. */
import { JobSchema, JobState, JobType, listJobs, toJson, type Job } from "@vellum/sdk";
import type { CommandGroup } from "../command.js";
import { watchJob } from "../job-watch.js";
import { pageSizeFor, printList, take } from "../listing.js";
import { enumValue, parseCount } from "../parse.js";
import { JOB_HEAD, jobRow } from "../render.js";

export const jobCommands: CommandGroup = {
  register(program, withContext) {
    const jobs = program.command("jobs").description("long-running jobs of the store");
    jobs
      .command("ls")
      .description("list jobs, newest first")
      .option("--type <type>", "only verify_snapshot, compare_snapshots or check_store")
      .option("--state <state>", "only queued, running, succeeded, failed or cancelled")
      .option("--limit <n>", "at most this many (0 for all)", "50")
      .action(
        withContext(async (ctx, o: { type?: string; state?: string; limit: string }) => {
          const limit = parseCount(o.limit, "--limit");
          const items = listJobs(ctx.client(), {
            storeId: ctx.store(),
            pageSize: pageSizeFor(limit),
            type: o.type ? enumValue(JobType, "--type", o.type) : undefined,
            state: o.state ? enumValue(JobState, "--state", o.state) : undefined,
          });
          printList(ctx, await take(items, limit), (j: Job) => toJson(JobSchema, j), JOB_HEAD, jobRow);
        }),
      );
    jobs
      .command("watch")
      .description("follow a job to its end with a progress bar; exits non-zero when it fails")
      .argument("<job>", "job id")
      .action(withContext(async (ctx, jobId: string) => void (await watchJob(ctx, jobId))));
  },
};
