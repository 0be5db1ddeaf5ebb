import { createRegisterConsumer, type RegisterConsumer } from "../domain/lineage/consumers.js";
import { createGetLineage, type GetLineage } from "../domain/lineage/get-lineage.js";
import type { LineageRecorder } from "../domain/lineage/types.js";
import { createResourceLookup } from "../storage/db/catalog-repo.js";
import { createConsumerRepository } from "../storage/db/lineage-consumer-repo.js";
import { createLineageGraphRepository } from "../storage/db/lineage-graph-repo.js";
import { createLineageRecorder } from "../storage/db/lineage-repo.js";
import type { DatabaseUseCases } from "./database.js";
import { nothingToClose, type Wired } from "./module.js";

export interface LineageUseCases {
  /** Where capabilities write lineage edges as their changes land. */
  lineage: LineageRecorder;
  /** GetLineage and RegisterConsumer (LineageService). */
  lineageGraph: { getLineage: GetLineage; registerConsumer: RegisterConsumer };
}

/** The lineage edge recorder (domain/lineage/types.ts) and the LineageService use-cases over it. */
export function wireLineage({ database }: Pick<DatabaseUseCases, "database">): Wired<LineageUseCases> {
  const db = database.db;
  const lineage = createLineageRecorder(db);
  const lineageGraph = {
    getLineage: createGetLineage({ graph: createLineageGraphRepository(db) }),
    registerConsumer: createRegisterConsumer({ consumers: createConsumerRepository(db, lineage), lookup: createResourceLookup(db) }),
  };
  return { useCases: { lineage, lineageGraph }, jobKinds: [], close: nothingToClose };
}
