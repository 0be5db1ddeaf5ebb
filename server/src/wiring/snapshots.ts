import { uuidv7 } from "uuidv7";
import type { Config } from "../config.js";
import { systemClock } from "../domain/ports.js";
import { createSnapshotUseCases, type SnapshotUseCases } from "../domain/snapshots/service.js";
import { createVersionUseCases, type VersionUseCases } from "../domain/versions/service.js";
import { checkStoreKind } from "../jobs/kinds/check-store.js";
import { verifySnapshotKind } from "../jobs/kinds/verify-snapshot.js";
import { createCommitGroups } from "../domain/snapshots/commit-groups.js";
import { committedNothing } from "../storage/db/db-errors.js";
import { createSnapshotBatchRepository } from "../storage/db/snapshot-batch-repo.js";
import { createMatchEstimates } from "../storage/db/match-estimates.js";
import { createSnapshotRepository } from "../storage/db/snapshot-repo.js";
import { createVersionRepository } from "../storage/db/version-repo.js";
import type { ContentUseCases } from "./content.js";
import type { DatabaseUseCases } from "./database.js";
import { nothingToClose, type Wired } from "./module.js";

export interface SnapshotsUseCases {
  snapshots: SnapshotUseCases;
  versions: VersionUseCases;
  snapshotRepo: ReturnType<typeof createSnapshotRepository>;
}

/** Snapshots and versions, with the VERIFY_SNAPSHOT and CHECK_STORE job kinds. */
export function wireSnapshots(
  config: Pick<Config, "undeleteWindowMs" | "listEstimateTtlMs">,
  deps: DatabaseUseCases & Pick<ContentUseCases, "content">,
): Wired<SnapshotsUseCases> {
  const { database, content } = deps;
  const snapshotRepo = createSnapshotRepository(database.db, createMatchEstimates({ ttlMs: config.listEstimateTtlMs }));
  const groups = createCommitGroups({ batches: createSnapshotBatchRepository(database.db), committedNothing });
  const snapshots = createSnapshotUseCases({
    snapshots: snapshotRepo,
    content,
    clock: systemClock,
    newId: () => uuidv7(),
    undeleteWindowMs: config.undeleteWindowMs,
    groups,
  });
  const versions = createVersionUseCases({ versions: createVersionRepository(database.db), snapshots: snapshotRepo, clock: systemClock });
  return {
    useCases: { snapshots, versions, snapshotRepo },
    jobKinds: [verifySnapshotKind({ snapshots: snapshotRepo, content }), checkStoreKind({ db: database.db, content })],
    close: nothingToClose,
  };
}
