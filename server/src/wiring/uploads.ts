import { uuidv7 } from "uuidv7";
import type { Config } from "../config.js";
import { systemClock } from "../domain/ports.js";
import { createUploadUseCases, type UploadUseCases } from "../domain/uploads/service.js";
import { createChunkUploads } from "../storage/content/chunk-uploads.js";
import { createUploadSessions } from "../storage/content/upload-sessions.js";
import type { ContentUseCases } from "./content.js";
import type { DatabaseUseCases } from "./database.js";
import { nothingToClose, type Wired } from "./module.js";
import type { SnapshotsUseCases } from "./snapshots.js";

/** Resumable upload sessions and client-side-dedup chunk uploads. */
export function wireUploads(
  config: Pick<Config, "uploadSessionTtlMs">,
  deps: DatabaseUseCases & ContentUseCases & Pick<SnapshotsUseCases, "snapshots">,
): Wired<{ uploads: UploadUseCases }> {
  const { database, content, leases, chunked, snapshots } = deps;
  const uploads = createUploadUseCases({
    snapshots,
    sessions: createUploadSessions({ db: database.db, content, leases, ttlMs: config.uploadSessionTtlMs }),
    chunks: createChunkUploads(chunked, content),
    clock: systemClock,
    newId: () => uuidv7(),
  });
  return { useCases: { uploads }, jobKinds: [], close: nothingToClose };
}
