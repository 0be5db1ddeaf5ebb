/** Following a job to its end with a progress bar, shared by `jobs watch`, `verify` and `check`. */
import { JobSchema, JobState, toJson, type Job } from "@vellum/sdk";
import type { CliContext } from "./context.js";
import { CliError, EXIT, exitCodeForName } from "./exit-codes.js";
import { jobDetails } from "./render.js";

/**
 * Streams WatchJob until the job ends, showing its progress on stderr (terminals only), prints the
 * final job, and throws a CliError when it did not succeed: the exit code of its first error's
 * status (a failed VERIFY_SNAPSHOT with DATA_LOSS exits 8), or of CANCELLED.
 */
export async function watchJob(ctx: CliContext, jobId: string, label = "job"): Promise<Job> {
  const bar = ctx.out.progress(label, { unit: "percent" });
  let last: Job | undefined;
  try {
    for await (const { job } of ctx.client().jobs.watchJob({ storeId: ctx.store(), jobId })) {
      if (!job) continue;
      last = job;
      bar.update(job.progressPercent);
    }
  } finally {
    bar.stop();
  }
  if (!last) throw new CliError(`WatchJob ended without reporting job ${jobId}`, EXIT.ERROR);
  printJob(ctx, last);
  if (last.state === JobState.SUCCEEDED) return last;
  const first = last.errors[0];
  const more = last.errors.length > 1 ? ` (and ${last.errors.length - 1} more)` : "";
  if (last.state === JobState.CANCELLED) throw new CliError(`job ${jobId} was cancelled`, exitCodeForName("CANCELLED"));
  throw new CliError(
    `job ${jobId} failed: ${first ? `${first.code}: ${first.message}${first.subject ? ` (${first.subject})` : ""}` : "no error reported"}${more}`,
    first ? exitCodeForName(first.code) : EXIT.ERROR,
  );
}

/** Follows a just-queued job to its end (watchJob), or prints it as queued when `wait` is false (--no-wait). */
export async function followJob(ctx: CliContext, job: Job, wait: boolean, label: string): Promise<void> {
  if (wait) await watchJob(ctx, job.jobId, label);
  else printJob(ctx, job);
}

export function printJob(ctx: CliContext, job: Job): void {
  if (ctx.out.json) ctx.out.printJson(toJson(JobSchema, job));
  else ctx.out.details(jobDetails(job));
}
