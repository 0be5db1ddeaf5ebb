import { join } from "node:path";
import { uuidv7 } from "uuidv7";
import type { Config } from "../config.js";
import { reclaimStorageKind } from "../jobs/kinds/reclaim-storage.js";
import { every } from "../jobs/scheduler.js";
import { createBufferBudget } from "../lib/buffer-budget.js";
import type { Logger } from "../lib/logger.js";
import type { BlobStore } from "../storage/blob/blob-store.js";
import { createFsBlobStore } from "../storage/blob/fs-blob-store.js";
import { createChunkedContentStore, type ChunkedContentStore, type ChunkedStoreDeps } from "../storage/content/chunked-store.js";
import { createIngestLeases, type IngestLeases } from "../storage/content/ingest-leases.js";
import { createManifestRepo } from "../storage/content/manifest-repo.js";
import { loadOrCreateMasterKeyFile } from "../storage/content/master-key.js";
import { reclaimStorage, type ReclaimOptions, type ReclaimReport } from "../storage/content/reclaim.js";
import { createStoreKeys } from "../storage/content/store-keys.js";
import { createContentWorkers } from "../storage/engine/content-workers.js";
import { createLocalKms, type Kms } from "../storage/engine/kms.js";
import type { DatabaseUseCases } from "./database.js";
import type { Wired } from "./module.js";

export interface ContentUseCases {
  blobs: BlobStore;
  content: ChunkedContentStore;
  /** What the chunk engine is built on, for stores that write chunks themselves (uploads). */
  chunked: ChunkedStoreDeps;
  leases: IngestLeases;
  /** Wraps data keys under the master key (also seals job secrets, see storage/engine/sealed-secrets.ts). */
  kms: Kms;
  /** One storage reclaim run; concurrent calls in this process share one run. */
  reclaim(opts: ReclaimOptions): Promise<ReclaimReport>;
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
  const { createGcsBlobStore } = await import("../storage/blob/gcs-blob-store.js");
  const storage = opts.gcsEndpoint ? new Storage({ apiEndpoint: opts.gcsEndpoint, projectId: "vellum-local" }) : new Storage();
  return createGcsBlobStore({ storage, bucket: m[1], prefix: m[2].replace(/\/+$/, "") || undefined });
}

/**
 * Content storage: blob store, KMS and store keys, the chunk engine and its worker threads, ingest
 * leases, and storage reclaim, which runs as the RECLAIM_STORAGE system job on the
 * `reclaim-storage` schedule (every VELLUM_RECLAIM_INTERVAL_MS; 0 disables it).
 */
export async function wireContent(
  config: Pick<Config, "blobUrl" | "gcsEndpoint" | "masterKey" | "dataDir" | "scanWorkers" | "chunking" | "packTargetBytes" | "reclaimIntervalMs" | "reclaimGraceMs" | "bufferBudgetBytes">,
  log: Logger,
  { database }: DatabaseUseCases,
): Promise<Wired<ContentUseCases>> {
  const blobs = await openBlobStore(config.blobUrl, { gcsEndpoint: config.gcsEndpoint });
  const masterKey = config.masterKey ?? loadOrCreateMasterKeyFile(join(config.dataDir, "master.key"));
  const kms = createLocalKms(masterKey, config.masterKey ? "env-master-key" : "local-master-key");
  const workers = config.scanWorkers > 0 ? createContentWorkers({ workers: config.scanWorkers }) : undefined;
  const leases = createIngestLeases(database.db);
  const chunked: ChunkedStoreDeps = {
    db: database.db,
    leases,
    blobs,
    keys: createStoreKeys(database.db, kms),
    manifests: createManifestRepo(database.db),
    newId: () => uuidv7(),
    chunking: config.chunking,
    packTargetBytes: config.packTargetBytes,
    scanner: workers?.scan,
    openGroup: workers?.open,
    budget: createBufferBudget(config.bufferBudgetBytes),
  };
  const content = createChunkedContentStore(chunked);
  // One run at a time in this process; runs in different processes are safe against each other
  // (reclaim.ts), and the schedule's dedupe key keeps scheduled runs from overlapping anyway.
  let reclaiming: Promise<ReclaimReport> | undefined;
  const reclaim = (opts: ReclaimOptions) =>
    (reclaiming ??= reclaimStorage({ ...chunked, log }, opts).finally(() => (reclaiming = undefined)));
  return {
    useCases: { blobs, content, chunked, leases, kms, reclaim },
    jobKinds: [reclaimStorageKind({ reclaim })],
    schedules: config.reclaimIntervalMs
      ? [{ name: "reclaim-storage", schedule: every(config.reclaimIntervalMs), type: "RECLAIM_STORAGE", params: { graceMs: config.reclaimGraceMs } }]
      : [],
    async close() {
      await workers?.close();
    },
  };
}
