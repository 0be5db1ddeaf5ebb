import type { Config } from "../config.js";
import { createComposeUseCases, type ComposeUseCases } from "../domain/compose/compose-use-cases.js";
import { composeSnapshotsKind } from "../jobs/kinds/compose-snapshots.js";
import type { JobsUseCases } from "./jobs.js";
import type { LineageUseCases } from "./lineage.js";
import { nothingToClose, type Wired } from "./module.js";
import type { SnapshotsUseCases } from "./snapshots.js";

export interface ComposeWiring {
  composer: ComposeUseCases;
}

/** Most bytes composed at once: parsed JSON takes several times its size in memory. */
export const COMPOSE_MAX_BYTES = 32 * 1024 * 1024;

/** ComposeService and its COMPOSE_SNAPSHOTS job; parents are composed in memory, within COMPOSE_MAX_BYTES and VELLUM_COMPARE_MAX_BYTES. */
export function wireComposeSnapshots(
  config: Pick<Config, "compare">,
  deps: Pick<SnapshotsUseCases, "snapshots"> & Pick<JobsUseCases, "jobs"> & Pick<LineageUseCases, "lineage">,
): Wired<ComposeWiring> {
  const composer = createComposeUseCases({ snapshots: deps.snapshots, jobs: deps.jobs, lineage: deps.lineage, maxBytes: Math.min(COMPOSE_MAX_BYTES, config.compare.maxInMemoryBytes) });
  return { useCases: { composer }, jobKinds: [composeSnapshotsKind({ compose: composer })], close: nothingToClose };
}
