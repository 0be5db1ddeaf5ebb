import { createAnnotationUseCases, type AnnotationUseCases } from "../domain/catalog/annotations.js";
import { createHasSnapshots, type HasSnapshots } from "../domain/catalog/has-snapshots.js";
import { createSearchUseCases, type SearchUseCases } from "../domain/catalog/search.js";
import { createTagUseCases, type TagUseCases } from "../domain/catalog/tags.js";
import { systemClock } from "../domain/ports.js";
import { uuidv7 } from "uuidv7";
import { createBatchCreateUseCases, type BatchContentStore, type BatchCreate } from "../domain/snapshots/batch-create.js";
import { createAnnotationRepository, createResourceLookup, createTagCountRepository } from "../storage/db/catalog-repo.js";
import { createSearchRepository } from "../storage/db/search-repo.js";
import { createSnapshotBatchRepository } from "../storage/db/snapshot-batch-repo.js";
import { createSnapshotMetadataRepository } from "../storage/db/snapshot-metadata-repo.js";
import type { DatabaseUseCases } from "./database.js";
import { nothingToClose, type Wired } from "./module.js";

/** The catalog's use-cases: tags, annotations, resource lookups, search, batch creation. */
export interface CatalogUseCases {
  tags: TagUseCases;
  annotations: AnnotationUseCases;
  hasSnapshots: HasSnapshots;
  search: SearchUseCases;
  batchCreate: BatchCreate;
}

/** The catalog capability over the database and the content store; it holds nothing of its own. */
export function wireCatalog(deps: DatabaseUseCases & { content: BatchContentStore }): Wired<CatalogUseCases> {
  const db = deps.database.db;
  const clock = systemClock;
  const newId = () => uuidv7();
  const useCases: CatalogUseCases = {
    tags: createTagUseCases({ metadata: createSnapshotMetadataRepository(db), counts: createTagCountRepository(db) }),
    annotations: createAnnotationUseCases({ annotations: createAnnotationRepository(db), clock, newId }),
    hasSnapshots: createHasSnapshots({ lookup: createResourceLookup(db) }),
    search: createSearchUseCases({ search: createSearchRepository(db) }),
    batchCreate: createBatchCreateUseCases({ content: deps.content, batches: createSnapshotBatchRepository(db), clock, newId }),
  };
  return { useCases, jobKinds: [], close: nothingToClose };
}
