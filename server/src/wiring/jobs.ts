import { uuidv7 } from "uuidv7";
import { createJobUseCases, type JobUseCases } from "../domain/jobs/service.js";
import { systemClock } from "../domain/ports.js";
import { createJobKindRegistry, type JobKindRegistry } from "../jobs/kind.js";
import { createJobRepository } from "../storage/db/job-repo.js";
import type { DatabaseUseCases } from "./database.js";
import { nothingToClose, type Wired } from "./module.js";

export interface JobsUseCases {
  /** Enqueue (any process; workers anywhere pick the job up), get, list, cancel, watch. */
  jobs: JobUseCases;
  /** The kinds every module registers (compose.ts), which enqueue validates against. */
  kinds: JobKindRegistry;
}

/** Job use-cases and the kind registry. Running jobs is wiring/workers.ts. */
export function wireJobs({ database }: DatabaseUseCases): Wired<JobsUseCases> {
  const kinds = createJobKindRegistry();
  const jobs = createJobUseCases({ jobs: createJobRepository(database.db), kinds, clock: systemClock, newId: () => uuidv7() });
  return { useCases: { jobs, kinds }, jobKinds: [], close: nothingToClose };
}
