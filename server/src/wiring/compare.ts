import type { Config } from "../config.js";
import { createPreviewUseCases, type PreviewUseCases } from "../domain/compare/preview-snapshot.js";
import { createCompareUseCases, type CompareUseCases } from "../domain/compare/service.js";
import { compareSnapshotsKind } from "../jobs/kinds/compare-snapshots.js";
import { encodeComparison } from "../rpc/compare-convert.js";
import { createSensitiveReadAudit } from "../storage/db/sensitive-read-audit.js";
import type { ContentUseCases } from "./content.js";
import type { DatabaseUseCases } from "./database.js";
import type { JobsUseCases } from "./jobs.js";
import { nothingToClose, type Wired } from "./module.js";
import type { SnapshotsUseCases } from "./snapshots.js";

export interface CompareWiring {
  compare: CompareUseCases;
  previews: PreviewUseCases;
}

/** Compare (inline, or as the COMPARE_SNAPSHOTS job above the size limit) and redacted previews. */
export function wireCompare(
  config: Pick<Config, "compare" | "chunking">,
  deps: DatabaseUseCases & Pick<ContentUseCases, "content"> & Pick<SnapshotsUseCases, "snapshots"> & Pick<JobsUseCases, "jobs">,
): Wired<CompareWiring> {
  const { database, content, snapshots, jobs } = deps;
  const compare = createCompareUseCases({ snapshots, jobs, manifests: content, encode: encodeComparison, limits: config.compare, chunking: config.chunking });
  const previews = createPreviewUseCases({ snapshots, audit: createSensitiveReadAudit(database.db) });
  return { useCases: { compare, previews }, jobKinds: [compareSnapshotsKind({ compare })], close: nothingToClose };
}
