import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { uuidv7 } from "uuidv7";
import type { Config } from "./config.js";
import { createJobUseCases } from "./domain/jobs/service.js";
import { systemClock } from "./domain/ports.js";
import { createSnapshotUseCases } from "./domain/snapshots/service.js";
import { createVersionUseCases } from "./domain/versions/service.js";
import { createJobRunner } from "./jobs/runner.js";
import { createVerifySnapshotHandler } from "./jobs/verify-snapshot.js";
import type { Logger } from "./lib/logger.js";
import type { BlobStore } from "./storage/blob/blob-store.js";
import { createFsBlobStore } from "./storage/blob/fs-blob-store.js";
import { openDatabase, type Database } from "./storage/db/client.js";
import { startEmbeddedPostgres } from "./storage/db/embedded.js";
import { createJobRepository } from "./storage/db/job-repo.js";
import { runMigrations } from "./storage/db/migrate.js";
import { createSnapshotRepository } from "./storage/db/snapshot-repo.js";
import { createVersionRepository } from "./storage/db/version-repo.js";
import { createChunkedContentStore, type ChunkedContentStore } from "./storage/content/chunked-store.js";
import { createManifestRepo } from "./storage/content/manifest-repo.js";
import { loadOrCreateMasterKeyFile } from "./storage/content/master-key.js";
import { createStoreKeys } from "./storage/content/store-keys.js";
import { createLocalKms } from "./storage/engine/kms.js";

/** Everything the server runs on, built from config. `close` releases it in reverse order. */
export interface Services {
  database: Database;
  blobs: BlobStore;
  content: ChunkedContentStore;
  snapshots: ReturnType<typeof createSnapshotUseCases>;
  versions: ReturnType<typeof createVersionUseCases>;
  jobs: ReturnType<typeof createJobUseCases>;
  runner: ReturnType<typeof createJobRunner>;
  close(graceMs: number): Promise<void>;
}

export async function openBlobStore(url: string): Promise<BlobStore> {
  if (url.startsWith("file://")) return createFsBlobStore({ root: url.slice("file://".length) });
  throw new Error(`unsupported blob URL scheme: ${url.split(":")[0]}`);
}

/**
 * Composition: database (external or embedded, migrated), blob store, repositories, use-cases and
 * the job runner. Nothing here listens on a port; main.ts does that.
 */
export async function composeServices(config: Config, log: Logger): Promise<Services> {
  const embedded = config.databaseUrl
    ? undefined
    : await startEmbeddedPostgres(join(config.dataDir, "pg"), config.embeddedPgPort, log);
  const url = config.databaseUrl ?? embedded!.url;
  try {
    await runMigrations(url);
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
  const database = openDatabase(url, { max: config.dbPoolMax });
  const blobs = await openBlobStore(config.blobUrl);
  const newId = () => uuidv7();
  const masterKey = config.masterKey ?? loadOrCreateMasterKeyFile(join(config.dataDir, "master.key"));
  const kms = createLocalKms(masterKey, config.masterKey ? "env-master-key" : "local-master-key");
  const content = createChunkedContentStore({
    db: database.db,
    blobs,
    keys: createStoreKeys(database.db, kms),
    manifests: createManifestRepo(database.db),
    newId,
    chunking: config.chunking,
    packTargetBytes: config.packTargetBytes,
  });
  const snapshotRepo = createSnapshotRepository(database.db);
  const jobRepo = createJobRepository(database.db);
  const runner = createJobRunner({
    queue: jobRepo,
    handlers: { VERIFY_SNAPSHOT: createVerifySnapshotHandler({ snapshots: snapshotRepo, content }) },
    log: log.child({ component: "jobs" }),
    workerId: `${process.pid}-${randomUUID().slice(0, 8)}`,
    concurrency: config.jobConcurrency,
  });
  const snapshots = createSnapshotUseCases({ snapshots: snapshotRepo, content, clock: systemClock, newId });
  const versions = createVersionUseCases({
    versions: createVersionRepository(database.db),
    snapshots: snapshotRepo,
    clock: systemClock,
  });
  const jobs = createJobUseCases({ jobs: jobRepo, clock: systemClock, newId, onEnqueued: () => runner.poke() });
  runner.start();
  return {
    database,
    blobs,
    content,
    snapshots,
    versions,
    jobs,
    runner,
    async close(graceMs) {
      await runner.stop(graceMs);
      await database.close();
      await embedded?.stop();
    },
  };
}
