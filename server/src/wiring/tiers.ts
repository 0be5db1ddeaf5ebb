import type { Config } from "../config.js";
import { createTierUseCases, type TierUseCases } from "../domain/tiers/tier-use-cases.js";
import { moveStorageClassKind } from "../jobs/kinds/move-storage-class.js";
import { createFsTierMover, createGcsTierMover, type TierMover } from "../storage/blob/tier-mover.js";
import { createTierPacks } from "../storage/content/tier-packs.js";
import { createSnapshotMetadataRepository } from "../storage/db/snapshot-metadata-repo.js";
import type { ContentUseCases } from "./content.js";
import type { DatabaseUseCases } from "./database.js";
import type { JobsUseCases } from "./jobs.js";
import { nothingToClose, type Wired } from "./module.js";
import type { SnapshotsUseCases } from "./snapshots.js";

export interface TiersUseCases {
  tiers: TierUseCases;
}

/** The tier mover for the blob URL: storage classes on GCS, tier directories on local disk. */
async function openTierMover(config: Pick<Config, "blobUrl" | "gcsEndpoint" | "tierDirs">): Promise<TierMover> {
  if (config.blobUrl.startsWith("file://")) return createFsTierMover({ root: config.blobUrl.slice("file://".length), tierDirs: config.tierDirs });
  const m = /^gs:\/\/([^/]+)\/?(.*)$/.exec(config.blobUrl)!;
  const { Storage } = await import("@google-cloud/storage");
  const storage = config.gcsEndpoint ? new Storage({ apiEndpoint: config.gcsEndpoint, projectId: "vellum-local" }) : new Storage();
  return createGcsTierMover({ storage, bucket: m[1], prefix: m[2].replace(/\/+$/, "") || undefined });
}

/** Storage classes of snapshots (SetStorageClass, RehydrateSnapshot) and the MOVE_STORAGE_CLASS job. */
export async function wireTiers(
  config: Pick<Config, "blobUrl" | "gcsEndpoint" | "tierDirs">,
  deps: DatabaseUseCases & Pick<ContentUseCases, "content"> & Pick<SnapshotsUseCases, "snapshotRepo"> & Pick<JobsUseCases, "jobs">,
): Promise<Wired<TiersUseCases>> {
  const { db } = deps.database;
  const tiers = createTierUseCases({
    metadata: createSnapshotMetadataRepository(db),
    snapshots: deps.snapshotRepo,
    packs: createTierPacks({ db, content: deps.content, mover: await openTierMover(config) }),
    jobs: deps.jobs,
  });
  return { useCases: { tiers }, jobKinds: [moveStorageClassKind({ tiers })], close: nothingToClose };
}
