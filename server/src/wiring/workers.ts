import { randomUUID } from "node:crypto";
import { uuidv7 } from "uuidv7";
import type { Config } from "../config.js";
import { systemClock } from "../domain/ports.js";
import type { JobKindRegistry } from "../jobs/kind.js";
import { createJobRunner, type JobRunner, type JobRunnerTiming } from "../jobs/runner.js";
import { createJobScheduler, type JobScheduler, type ScheduledJob } from "../jobs/scheduler.js";
import type { Logger } from "../lib/logger.js";
import { createPgJobSignals } from "../storage/db/job-notify.js";
import { createJobQueueRepository } from "../storage/db/job-queue-repo.js";
import { createJobScheduleRepository } from "../storage/db/job-schedule-repo.js";
import type { DatabaseUseCases } from "./database.js";
import type { Wired } from "./module.js";

export interface WorkersUseCases {
  runner: JobRunner;
  scheduler: JobScheduler;
  /** This process's worker id (jobs.lease_owner). */
  workerId: string;
}

/**
 * The job runner over every registered kind, woken by LISTEN/NOTIFY, and the scheduler of
 * recurring system jobs. Both run only with VELLUM_JOB_CONCURRENCY > 0: an API process with 0
 * only enqueues, and worker processes (`npm run worker`, as many as wanted) run the jobs.
 */
export async function wireWorkers(
  config: Pick<Config, "jobConcurrency">,
  log: Logger,
  deps: Pick<DatabaseUseCases, "database"> & {
    kinds: JobKindRegistry;
    schedules: ScheduledJob[];
    scheduleSources?: Array<() => Promise<ScheduledJob[]>>;
    timing?: Partial<JobRunnerTiming>;
  },
): Promise<Wired<WorkersUseCases>> {
  const { database, kinds } = deps;
  const workerId = `${process.pid}-${randomUUID().slice(0, 8)}`;
  const jobLog = log.child({ component: "jobs", workerId });
  const runner = createJobRunner({
    queue: createJobQueueRepository(database.db),
    signals: createPgJobSignals(database.sql),
    kinds,
    log: jobLog,
    workerId,
    concurrency: config.jobConcurrency,
    timing: deps.timing,
  });
  const scheduler = createJobScheduler({ store: createJobScheduleRepository(database.db), kinds, clock: systemClock, newId: () => uuidv7(), log: jobLog });
  scheduler.register(...deps.schedules);
  for (const source of deps.scheduleSources ?? []) scheduler.addSource(source);
  if (config.jobConcurrency > 0) {
    await runner.start();
    scheduler.start();
  }
  return {
    useCases: { runner, scheduler, workerId },
    jobKinds: [],
    async close(graceMs) {
      await scheduler.stop();
      await runner.stop(graceMs);
    },
  };
}
