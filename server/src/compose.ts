import type { RpcLimits } from "./app.js";
import type { Config } from "./config.js";
import type { ProxyTrust } from "./http/client-address.js";
import type { Logger } from "./lib/logger.js";
import type { JobRunnerTiming } from "./jobs/runner.js";
import type { SecurityServices } from "./security/compose-security.js";
import { wireCatalog, type CatalogUseCases } from "./wiring/catalog.js";
import { wireCompare, type CompareWiring } from "./wiring/compare.js";
import { wireContent, type ContentUseCases } from "./wiring/content.js";
import { wireDatabase, type DatabaseUseCases } from "./wiring/database.js";
import { wireEvents, type EventsUseCases } from "./wiring/events.js";
import { wireJobs, type JobsUseCases } from "./wiring/jobs.js";
import { wireLineage, type LineageUseCases } from "./wiring/lineage.js";
import { wireOutbound, type OutboundUseCases } from "./wiring/outbound.js";
import { wirePolicies, type PoliciesUseCases } from "./wiring/policies.js";
import type { Wired } from "./wiring/module.js";
import { wireRestore, type RestoreWiring } from "./wiring/restore.js";
import { wireSecurity } from "./wiring/security.js";
import { wireSnapshots, type SnapshotsUseCases } from "./wiring/snapshots.js";
import { wireTiers, type TiersUseCases } from "./wiring/tiers.js";
import { wireRetention, type RetentionWiring } from "./wiring/retention.js";
import { wireTransfer, type TransferUseCases } from "./wiring/transfer.js";
import { wireComposeSnapshots, type ComposeWiring } from "./wiring/compose-snapshots.js";
import { wireUploads } from "./wiring/uploads.js";
import { wireWebhooks, type WebhooksUseCases } from "./wiring/webhooks.js";
import { wireWorkers, type WorkersUseCases } from "./wiring/workers.js";

export { openBlobStore } from "./wiring/content.js";

/** Everything the server runs on, built from config. `close` releases it in reverse order. */
export interface Services
  extends SecurityServices,
    DatabaseUseCases,
    Omit<ContentUseCases, "chunked" | "leases" | "kms">,
    Omit<SnapshotsUseCases, "snapshotRepo">,
    JobsUseCases,
    CompareWiring,
    RetentionWiring,
    CatalogUseCases,
    OutboundUseCases,
    LineageUseCases,
    EventsUseCases,
    WebhooksUseCases,
    RestoreWiring,
    PoliciesUseCases,
    TiersUseCases,
    TransferUseCases,
    ComposeWiring,
    WorkersUseCases {
  uploads: ReturnType<typeof wireUploads>["useCases"]["uploads"];
  /** Request limits the RPC layer enforces (deadline rules: see createDeadlineInterceptor). */
  limits: RpcLimits;
  /** Proxies whose forwarding header names the client (see createClientAddress). */
  proxies: ProxyTrust;
  /** What `GET /metrics` reads besides the RPCs (the database pool's slots); undefined when VELLUM_METRICS=off. */
  metrics?: { pool: DatabaseUseCases["database"]["pool"] };
  close(graceMs: number): Promise<void>;
}

/** Overrides for tests and tools; production uses the defaults. */
export interface ComposeOptions {
  /** Job runner timing (lease, heartbeat, poll, backoff); default: the constants in jobs/runner.ts. */
  jobTiming?: Partial<JobRunnerTiming>;
}

/**
 * Composition: one wiring module per capability (server/src/wiring/), built in dependency order,
 * each from what the modules before it returned. Every module's job kinds and schedules go to the
 * job runner, built last; it runs only when VELLUM_JOB_CONCURRENCY > 0. Nothing here listens on a
 * port: main.ts (API) and worker.ts (job workers only) do the rest.
 */
export async function composeServices(config: Config, log: Logger, opts: ComposeOptions = {}): Promise<Services> {
  const built: Wired<unknown>[] = [];
  const add = <U>(m: Wired<U>): Wired<U> => (built.push(m), m);
  const close = async (graceMs: number) => {
    for (const m of [...built].reverse()) await m.close(graceMs);
  };
  try {
    const database = add(await wireDatabase(config, log)).useCases;
    const content = add(await wireContent(config, log, database)).useCases;
    const jobs = add(wireJobs(database)).useCases;
    const outbound = add(wireOutbound(config)).useCases;
    const lineage = add(wireLineage(database)).useCases;
    const snapshots = add(wireSnapshots(config, { ...database, ...content })).useCases;
    const { uploads } = add(wireUploads(config, { ...database, ...content, ...snapshots })).useCases;
    const compare = add(wireCompare(config, { ...database, ...content, ...snapshots, ...jobs })).useCases;
    const retention = add(wireRetention(config, log, { ...database, ...snapshots, ...jobs })).useCases;
    const policies = add(wirePolicies(config, { ...database, ...content, ...snapshots, ...jobs, ...outbound, ...lineage })).useCases;
    const tiers = add(await wireTiers(config, { ...database, ...content, ...snapshots, ...jobs })).useCases;
    const catalog = add(wireCatalog({ ...database, content: content.content })).useCases;
    const events = add(wireEvents(config, log, database)).useCases;
    const webhooks = add(wireWebhooks(config, log, { ...database, ...outbound, wakeups: events.wakeups })).useCases;
    const transfer = add(wireTransfer(config, { ...content, ...snapshots, ...jobs, ...outbound, ...lineage })).useCases;
    const composer = add(wireComposeSnapshots(config, { ...snapshots, ...jobs, ...lineage })).useCases;
    const security = add(await wireSecurity(config, log, { ...database, ...snapshots })).useCases;
    const restore = add(wireRestore(config, { ...database, ...snapshots, ...jobs, ...outbound, ...lineage, shares: security.shares })).useCases;
    for (const m of built) jobs.kinds.register(...m.jobKinds);
    const schedules = built.flatMap((m) => m.schedules ?? []);
    const scheduleSources = built.flatMap((m) => m.scheduleSources ?? []);
    const workers = add(await wireWorkers(config, log, { ...database, kinds: jobs.kinds, schedules, scheduleSources, timing: opts.jobTiming })).useCases;
    return {
      ...database,
      blobs: content.blobs,
      content: content.content,
      reclaim: content.reclaim,
      snapshots: snapshots.snapshots,
      versions: snapshots.versions,
      uploads,
      ...jobs,
      ...compare,
      ...retention,
      ...catalog,
      ...outbound,
      ...lineage,
      ...events,
      ...webhooks,
      ...policies,
      ...tiers,
      ...transfer,
      ...composer,
      ...security,
      ...restore,
      ...workers,
      limits: {
        maxMessageBytes: config.maxMessageBytes,
        defaultTimeoutMs: config.defaultTimeoutMs,
        maxTimeoutMs: config.maxTimeoutMs,
        streamIdleTimeoutMs: config.streamIdleTimeoutMs,
      },
      proxies: config.proxies,
      metrics: config.metrics ? { pool: database.database.pool } : undefined,
      close,
    };
  } catch (err) {
    await close(0);
    throw err;
  }
}
