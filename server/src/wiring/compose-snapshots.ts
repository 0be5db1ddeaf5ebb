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

/** ComposeService and its COMPOSE_SNAPSHOTS job; parents are composed in memory, within VELLUM_COMPARE_MAX_BYTES. */
export function wireComposeSnapshots(
  config: Pick<Config, "compare">,
  deps: Pick<SnapshotsUseCases, "snapshots"> & Pick<JobsUseCases, "jobs"> & Pick<LineageUseCases, "lineage">,
): Wired<ComposeWiring> {
  const composer = createComposeUseCases({ snapshots: deps.snapshots, jobs: deps.jobs, lineage: deps.lineage, maxBytes: config.compare.maxInMemoryBytes });
  return { useCases: { composer }, jobKinds: [composeSnapshotsKind({ compose: composer })], close: nothingToClose };
}
