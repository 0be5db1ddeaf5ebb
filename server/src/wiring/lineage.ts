import type { LineageRecorder } from "../domain/lineage/types.js";
import { createLineageRecorder } from "../storage/db/lineage-repo.js";
import type { DatabaseUseCases } from "./database.js";
import { nothingToClose, type Wired } from "./module.js";

export interface LineageUseCases {
  /** Where capabilities write lineage edges as their changes land. */
  lineage: LineageRecorder;
}

/** The lineage edge recorder (domain/lineage/types.ts). */
export function wireLineage({ database }: Pick<DatabaseUseCases, "database">): Wired<LineageUseCases> {
  return { useCases: { lineage: createLineageRecorder(database.db) }, jobKinds: [], close: nothingToClose };
}
