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
import { createCheckStoreHandler } from "./jobs/check-store.js";
import { createCompareSnapshotsHandler } from "./jobs/compare-snapshots.js";
import { createPreviewUseCases, type PreviewUseCases } from "./domain/compare/preview-snapshot.js";
import { createCompareUseCases, type CompareUseCases } from "./domain/compare/service.js";
import { encodeComparison } from "./rpc/compare-convert.js";
import type { RpcLimits } from "./app.js";
import type { ProxyTrust } from "./http/client-address.js";
import { createSensitiveReadAudit } from "./storage/db/sensitive-read-audit.js";
import type { Logger } from "./lib/logger.js";
import type { BlobStore } from "./storage/blob/blob-store.js";
import { createFsBlobStore } from "./storage/blob/fs-blob-store.js";
import { openDatabase, type Database } from "./storage/db/client.js";
import { startEmbeddedPostgres } from "./storage/db/embedded.js";
import { createJobRepository } from "./storage/db/job-repo.js";
import { runMigrations } from "./storage/db/migrate.js";
import { createSnapshotRepository } from "./storage/db/snapshot-repo.js";
import { createVersionRepository } from "./storage/db/version-repo.js";
import { createUploadUseCases, type UploadUseCases } from "./domain/uploads/service.js";
import { createChunkUploads } from "./storage/content/chunk-uploads.js";
import { createContentWorkers } from "./storage/engine/content-workers.js";
import { createChunkedContentStore, type ChunkedContentStore } from "./storage/content/chunked-store.js";
import { createUploadSessions } from "./storage/content/upload-sessions.js";
import { createIngestLeases } from "./storage/content/ingest-leases.js";
import { type ReclaimOptions, type ReclaimReport, reclaimStorage } from "./storage/content/reclaim.js";
import { createManifestRepo } from "./storage/content/manifest-repo.js";
import { loadOrCreateMasterKeyFile } from "./storage/content/master-key.js";
import { createStoreKeys } from "./storage/content/store-keys.js";
import { createLocalKms } from "./storage/engine/kms.js";
import { composeSecurity, type SecurityServices } from "./security/compose-security.js";

/** Everything the server runs on, built from config. `close` releases it in reverse order. */
export interface Services extends SecurityServices {
  database: Database;
  blobs: BlobStore;
  content: ChunkedContentStore;
  uploads: UploadUseCases;
  snapshots: ReturnType<typeof createSnapshotUseCases>;
  versions: ReturnType<typeof createVersionUseCases>;
  jobs: ReturnType<typeof createJobUseCases>;
  runner: ReturnType<typeof createJobRunner>;
  compare: CompareUseCases;
  previews: PreviewUseCases;
  /** One storage reclaim run (the server also runs one every VELLUM_RECLAIM_INTERVAL_MS). */
  reclaim(opts: ReclaimOptions): Promise<ReclaimReport>;
  /** Request limits the RPC layer enforces (deadline rules: see createDeadlineInterceptor). */
  limits: RpcLimits;
  /** Proxies whose forwarding header names the client (see createClientAddress). */
  proxies: ProxyTrust;
  close(graceMs: number): Promise<void>;
}

/**
 * Opens the blob store a URL names: `file:///abs/path` (local disk) or `gs://bucket/prefix` (GCS,
 * with Application Default Credentials; `gcsEndpoint` points the client at an emulator).
 */
export async function openBlobStore(url: string, opts: { gcsEndpoint?: string } = {}): Promise<BlobStore> {
  if (url.startsWith("file://")) return createFsBlobStore({ root: url.slice("file://".length) });
  const m = /^gs:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m) throw new Error(`unsupported blob URL scheme: ${url.split(":")[0]}`);
  const { Storage } = await import("@google-cloud/storage");
  const { createGcsBlobStore } = await import("./storage/blob/gcs-blob-store.js");
  const storage = opts.gcsEndpoint ? new Storage({ apiEndpoint: opts.gcsEndpoint, projectId: "vellum-local" }) : new Storage();
  return createGcsBlobStore({ storage, bucket: m[1], prefix: m[2].replace(/\/+$/, "") || undefined });
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
  const blobs = await openBlobStore(config.blobUrl, { gcsEndpoint: config.gcsEndpoint });
  const newId = () => uuidv7();
  const masterKey = config.masterKey ?? loadOrCreateMasterKeyFile(join(config.dataDir, "master.key"));
  const kms = createLocalKms(masterKey, config.masterKey ? "env-master-key" : "local-master-key");
  const workers = config.scanWorkers > 0 ? createContentWorkers({ workers: config.scanWorkers }) : undefined;
  const leases = createIngestLeases(database.db);
  const chunkedDeps = {
    db: database.db,
    leases,
    blobs,
    keys: createStoreKeys(database.db, kms),
    manifests: createManifestRepo(database.db),
    newId,
    chunking: config.chunking,
    packTargetBytes: config.packTargetBytes,
    scanner: workers?.scan,
    openGroup: workers?.open,
  };
  const content = createChunkedContentStore(chunkedDeps);
  const snapshotRepo = createSnapshotRepository(database.db);
  const jobRepo = createJobRepository(database.db);
  const runner = createJobRunner({
    queue: jobRepo,
    handlers: {
      VERIFY_SNAPSHOT: createVerifySnapshotHandler({ snapshots: snapshotRepo, content }),
      CHECK_STORE: createCheckStoreHandler({ db: database.db, content }),
      COMPARE_SNAPSHOTS: createCompareSnapshotsHandler({ compare: { runJob: (job, ctx) => compare.runJob(job, ctx) } }),
    },
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
  const compare = createCompareUseCases({
    snapshots,
    jobs,
    manifests: content,
    encode: encodeComparison,
    limits: config.compare,
    chunking: config.chunking,
  });
  const uploads = createUploadUseCases({
    snapshots,
    sessions: createUploadSessions({ db: database.db, content, leases, ttlMs: config.uploadSessionTtlMs }),
    chunks: createChunkUploads(chunkedDeps, content),
    clock: systemClock,
    newId,
  });
  const previews = createPreviewUseCases({ snapshots, audit: createSensitiveReadAudit(database.db) });
  const security = await composeSecurity(config, { db: database.db, snapshots: snapshotRepo, log });
  runner.start();
  // One run at a time in this process (a run can outlast the interval); runs in other processes are
  // safe against each other (reclaim.ts), only wasteful.
  let reclaiming: Promise<ReclaimReport> | undefined;
  const reclaim = (opts: ReclaimOptions) =>
    (reclaiming ??= reclaimStorage({ ...chunkedDeps, log }, opts).finally(
      () => (reclaiming = undefined),
    ));
  const reclaimer = config.reclaimIntervalMs
    ? setInterval(() => {
        reclaim({ graceMs: config.reclaimGraceMs }).catch((err) => log.error("storage reclaim failed", { err }));
      }, config.reclaimIntervalMs).unref()
    : undefined;
  return {
    database,
    blobs,
    content,
    snapshots,
    versions,
    jobs,
    runner,
    compare,
    previews,
    uploads,
    reclaim,
    limits: {
      maxMessageBytes: config.maxMessageBytes,
      defaultTimeoutMs: config.defaultTimeoutMs,
      maxTimeoutMs: config.maxTimeoutMs,
      streamIdleTimeoutMs: config.streamIdleTimeoutMs,
    },
    proxies: config.proxies,
    ...security,
    async close(graceMs) {
      clearInterval(reclaimer);
      await runner.stop(graceMs);
      await workers?.close();
      await database.close();
      await embedded?.stop();
    },
  };
}
