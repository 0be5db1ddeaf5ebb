import { availableParallelism } from "node:os";
import { isAbsolute, resolve } from "node:path";
import { chunkerOptionProblems } from "../../sdk/src/chunking/fastcdc.js";
import { trustedPeers, type ProxyTrust } from "./http/client-address.js";
import { parseSecurityConfig, type SecurityConfig } from "./security-config.js";

/** Typed, validated configuration. This module is the only place that reads process.env. */
export interface Config {
  /** TCP port for gRPC, gRPC-Web and Connect. */
  port: number;
  /** Interface to bind. */
  host: string;
  /** Root for the embedded Postgres (`<dataDir>/pg`), local blobs and temp files. */
  dataDir: string;
  /** External Postgres; undefined means start the embedded one. */
  databaseUrl?: string;
  /** Port of the embedded Postgres. */
  embeddedPgPort: number;
  /** `file:///abs/path` or `gs://bucket/prefix`. */
  blobUrl: string;
  /** Largest accepted message (and CreateSnapshot payload), in bytes. */
  maxMessageBytes: number;
  /** Deadline of a unary RPC whose client sets none, in ms; streaming RPCs get no default. */
  defaultTimeoutMs: number;
  /** Cap on client deadlines, in ms: a longer one is shortened to this. */
  maxTimeoutMs: number;
  /** A client-streaming RPC whose client sends nothing for this long ends with DEADLINE_EXCEEDED, in ms. */
  streamIdleTimeoutMs: number;
  /** Time allowed to drain in-flight calls on SIGTERM before they are cancelled, in ms. */
  shutdownGraceMs: number;
  /** Job workers in this process. */
  jobConcurrency: number;
  /** Postgres pool size. */
  dbPoolMax: number;
  /** Bound on opening one PostgreSQL connection. */
  dbConnectTimeoutMs: number;
  /** Bound on waiting for a free pool connection; past it the request answers UNAVAILABLE. */
  dbAcquireTimeoutMs: number;
  logLevel: "debug" | "info" | "warn" | "error";
  /** 32-byte KMS master key (VELLUM_MASTER_KEY, base64); undefined means a key file in dataDir. */
  masterKey?: Uint8Array;
  /** Content-defined chunking sizes in bytes (min < avg < max; avg a power of two). */
  chunking: { minSize: number; avgSize: number; maxSize: number };
  /** Target pack object size in bytes. */
  packTargetBytes: number;
  /**
   * Bytes that ingest and download buffers may hold at once, process-wide (VELLUM_BUFFER_BUDGET_MB):
   * uploads beyond it wait on flow control, reads beyond it get no read-ahead.
   */
  bufferBudgetBytes: number;
  /** Threads that chunk and hash uploads (VELLUM_SCAN_WORKERS); 0 does it on the event loop. */
  scanWorkers: number;
  /** Browser origins allowed by CORS (VELLUM_CORS_ORIGINS, comma-separated, or "*"); none by default. */
  corsOrigins?: string[] | "*";
  /** Hosts outbound calls may reach even on private addresses (VELLUM_OUTBOUND_ALLOW_HOSTS; outbound/outbound-guard.ts). */
  outboundAllowHosts: string[];
  /** How often unreachable storage is reclaimed (0 disables), and the grace period protecting in-flight writes, in ms. */
  reclaimIntervalMs: number;
  reclaimGraceMs: number;
  /** How long a soft-deleted snapshot can be undeleted before it is purged (VELLUM_UNDELETE_WINDOW), in ms. */
  undeleteWindowMs: number;
  /** How long ListSnapshots gives an estimated total_size again before it counts afresh (VELLUM_LIST_ESTIMATE_TTL; storage/db/match-estimates.ts), in ms. */
  listEstimateTtlMs: number;
  /** How often TTL expiry and the purge of soft-deleted snapshots run (0 disables), in ms. */
  lifecycleIntervalMs: number;
  /** Events (EventService, webhooks): see EventsConfig. */
  events: EventsConfig;
  /** The only directory file:// exports and imports may use (VELLUM_EXPORT_ROOT, absolute); unset disables them. */
  exportRoot?: string;
  /** GCS API endpoint override (an emulator), from VELLUM_GCS_ENDPOINT. */
  gcsEndpoint?: string;
  /** Local-disk tier directories of COLD and ARCHIVE packs (VELLUM_COLD_DIR, VELLUM_ARCHIVE_DIR). */
  tierDirs: { COLD: string; ARCHIVE: string };
  /** Upload sessions expire this long after their last activity, in ms. */
  uploadSessionTtlMs: number;
  /**
   * CompareSnapshots limits, in bytes of both snapshots together: above `syncMaxBytes` a comparison
   * that reads content is answered with a job (a chunk summary from stored manifests is always
   * answered inline); above `maxInMemoryBytes` content is not loaded and the answer is a chunk
   * summary.
   */
  compare: { syncMaxBytes: number; maxInMemoryBytes: number };
  /** Authentication (VELLUM_AUTH, VELLUM_ADMIN_KEY, VELLUM_JWT_*), share links, rate limits. */
  security: SecurityConfig;
  /** Proxies whose forwarding header names the client (VELLUM_TRUSTED_PROXIES, VELLUM_FORWARDED_HEADER); none by default. */
  proxies: ProxyTrust;
  /** Whether `GET /metrics` serves Prometheus metrics on the API port (VELLUM_METRICS=on|off; on by default). */
  metrics: boolean;
}

/** The event outbox, its watchers and the webhook dispatcher. */
export interface EventsConfig {
  /** Events older than this are pruned (VELLUM_EVENT_RETENTION), in ms. */
  retentionMs: number;
  /** Idle WatchEvents streams get a heartbeat this often (VELLUM_EVENT_HEARTBEAT_MS). */
  heartbeatMs: number;
  /** Open WatchEvents streams per caller and store in one process (VELLUM_EVENT_MAX_WATCHERS). */
  maxWatchers: number;
  /** First retry delay of a webhook delivery; doubles per attempt, with jitter (VELLUM_WEBHOOK_RETRY_BASE_MS). */
  webhookRetryBaseMs: number;
  /** Attempts per delivery before it fails (VELLUM_WEBHOOK_MAX_ATTEMPTS). */
  webhookMaxAttempts: number;
  /** One attempt's bound: connect, send, response headers and body (VELLUM_WEBHOOK_TIMEOUT_MS). */
  webhookTimeoutMs: number;
  /** Deliveries in flight per process; 0 runs no dispatcher here (VELLUM_WEBHOOK_CONCURRENCY). */
  webhookConcurrency: number;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer in [${min}, ${max}]`);
  }
  return n;
}

const DURATION_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 };

/** A duration like "7d", "36h", "90m" or "30s" ("0" is zero), in ms within [0, max]. */
function duration(env: Env, name: string, def: number, maxMs: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return def;
  const m = /^(\d{1,9})([smhd])$/.exec(raw.trim());
  const ms = raw.trim() === "0" ? 0 : m ? Number(m[1]) * DURATION_UNITS[m[2]] : NaN;
  if (!Number.isSafeInteger(ms) || ms > maxMs) throw new ConfigError(`${name} must be a duration such as 7d, 36h, 90m or 30s, at most ${maxMs / 86_400_000}d`);
  return ms;
}

/** `ms`, unless it is 0: then a ConfigError naming `name`. */
function positive(name: string, ms: number): number {
  if (ms === 0) throw new ConfigError(`${name} must be longer than 0`);
  return ms;
}

/** A recurring job's interval: 0 (off) or 1 s .. 7 days. */
function scheduleInterval(env: Env, name: string, def: number): number {
  const ms = int(env, name, def, 0, 7 * 24 * 3600_000);
  if (ms > 0 && ms < 1000) throw new ConfigError(`${name} must be 0 (off) or at least 1000`);
  return ms;
}

function parseProxies(env: Env): ProxyTrust {
  const trusted = (env.VELLUM_TRUSTED_PROXIES ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  try {
    trustedPeers(trusted);
  } catch {
    throw new ConfigError("VELLUM_TRUSTED_PROXIES must be comma-separated IP addresses or CIDRs (10.0.0.0/8, fd00::/8)");
  }
  const header = (env.VELLUM_FORWARDED_HEADER || "x-forwarded-for").toLowerCase();
  if (header !== "x-forwarded-for" && header !== "forwarded") {
    throw new ConfigError("VELLUM_FORWARDED_HEADER must be x-forwarded-for or forwarded");
  }
  return { trusted, header };
}

/** VELLUM_METRICS: `on` (default) or `off`, case-insensitive. */
function metricsSwitch(raw: string | undefined): boolean {
  const v = (raw ?? "").trim().toLowerCase();
  if (v === "" || v === "on") return true;
  if (v === "off") return false;
  throw new ConfigError("VELLUM_METRICS must be on or off");
}

function exportRootOf(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  if (!isAbsolute(raw)) throw new ConfigError("VELLUM_EXPORT_ROOT must be an absolute path");
  return resolve(raw);
}

/** Reads and validates the environment. Throws ConfigError naming the bad variable (never its value). */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const dataDir = resolve(cwd, env.VELLUM_DATA_DIR || "./data");
  const blobUrl = env.VELLUM_BLOB_URL || `file://${resolve(dataDir, "blobs")}`;
  if (!/^file:\/\//.test(blobUrl) && !/^gs:\/\/[a-z0-9][a-z0-9._-]{1,220}(\/.*)?$/.test(blobUrl)) {
    throw new ConfigError("VELLUM_BLOB_URL must be file:///absolute/path or gs://bucket[/prefix]");
  }
  if (blobUrl.startsWith("file://") && !isAbsolute(blobUrl.slice("file://".length))) {
    throw new ConfigError("VELLUM_BLOB_URL file:// path must be absolute");
  }
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError("DATABASE_URL must be a postgres:// URL");
  }
  const logLevel = (env.VELLUM_LOG_LEVEL || "info") as Config["logLevel"];
  if (!["debug", "info", "warn", "error"].includes(logLevel)) {
    throw new ConfigError("VELLUM_LOG_LEVEL must be debug, info, warn or error");
  }
  let masterKey: Uint8Array | undefined;
  if (env.VELLUM_MASTER_KEY) {
    masterKey = Buffer.from(env.VELLUM_MASTER_KEY, "base64");
    if (masterKey.length !== 32) throw new ConfigError("VELLUM_MASTER_KEY must be 32 bytes, base64-encoded");
  }
  const chunking = {
    minSize: int(env, "VELLUM_CHUNK_MIN_BYTES", 8 * 1024, 64, 16 * 1024 * 1024),
    avgSize: int(env, "VELLUM_CHUNK_AVG_BYTES", 32 * 1024, 256, 32 * 1024 * 1024),
    maxSize: int(env, "VELLUM_CHUNK_MAX_BYTES", 128 * 1024, 1024, 64 * 1024 * 1024),
  };
  const chunkProblems = chunkerOptionProblems(chunking);
  if (chunkProblems.length) throw new ConfigError(`VELLUM_CHUNK_*_BYTES: ${chunkProblems.join("; ")}`);
  return {
    masterKey,
    chunking,
    packTargetBytes: int(env, "VELLUM_PACK_TARGET_BYTES", 16 * 1024 * 1024, 4 * 1024, 256 * 1024 * 1024),
    bufferBudgetBytes: int(env, "VELLUM_BUFFER_BUDGET_MB", 48, 16, 1024 * 1024) * 1024 * 1024,
    scanWorkers: int(env, "VELLUM_SCAN_WORKERS", Math.min(4, Math.max(1, availableParallelism() - 1)), 0, 64),
    gcsEndpoint: env.VELLUM_GCS_ENDPOINT || undefined,
    tierDirs: { COLD: resolve(cwd, env.VELLUM_COLD_DIR || resolve(dataDir, "tiers", "cold")), ARCHIVE: resolve(cwd, env.VELLUM_ARCHIVE_DIR || resolve(dataDir, "tiers", "archive")) },
    exportRoot: exportRootOf(env.VELLUM_EXPORT_ROOT),
    reclaimIntervalMs: scheduleInterval(env, "VELLUM_RECLAIM_INTERVAL_MS", 3600_000),
    // At least an hour: chunks an upload in progress has written or reused are protected only by
    // this grace period until its manifest is saved, so it must outlast the longest upload.
    reclaimGraceMs: int(env, "VELLUM_RECLAIM_GRACE_MS", 24 * 3600_000, 3600_000, 30 * 24 * 3600_000),
    undeleteWindowMs: duration(env, "VELLUM_UNDELETE_WINDOW", 7 * 86_400_000, 3650 * 86_400_000),
    listEstimateTtlMs: duration(env, "VELLUM_LIST_ESTIMATE_TTL", 10_000, 86_400_000),
    lifecycleIntervalMs: scheduleInterval(env, "VELLUM_LIFECYCLE_INTERVAL_MS", 5 * 60_000),
    events: {
      retentionMs: positive("VELLUM_EVENT_RETENTION", duration(env, "VELLUM_EVENT_RETENTION", 7 * 86_400_000, 365 * 86_400_000)),
      heartbeatMs: int(env, "VELLUM_EVENT_HEARTBEAT_MS", 15_000, 100, 600_000),
      maxWatchers: int(env, "VELLUM_EVENT_MAX_WATCHERS", 16, 1, 10_000),
      webhookRetryBaseMs: int(env, "VELLUM_WEBHOOK_RETRY_BASE_MS", 5_000, 10, 3600_000),
      webhookMaxAttempts: int(env, "VELLUM_WEBHOOK_MAX_ATTEMPTS", 15, 1, 50),
      webhookTimeoutMs: int(env, "VELLUM_WEBHOOK_TIMEOUT_MS", 10_000, 100, 120_000),
      webhookConcurrency: int(env, "VELLUM_WEBHOOK_CONCURRENCY", 8, 0, 256),
    },
    corsOrigins: !env.VELLUM_CORS_ORIGINS
      ? undefined
      : env.VELLUM_CORS_ORIGINS.trim() === "*"
        ? "*"
        : env.VELLUM_CORS_ORIGINS.split(",").map((o) => o.trim()).filter(Boolean),
    uploadSessionTtlMs: int(env, "VELLUM_UPLOAD_TTL_MS", 24 * 3600_000, 1000, 30 * 24 * 3600_000),
    compare: {
      syncMaxBytes: int(env, "VELLUM_COMPARE_SYNC_MAX_BYTES", 8 * 1024 * 1024, 0, 1024 * 1024 * 1024),
      maxInMemoryBytes: int(env, "VELLUM_COMPARE_MAX_BYTES", 128 * 1024 * 1024, 0, 4 * 1024 * 1024 * 1024),
    },
    port: int(env, "PORT", 8080, 0, 65535),
    host: env.VELLUM_HOST || "127.0.0.1",
    security: parseSecurityConfig(
      env,
      { host: env.VELLUM_HOST || "127.0.0.1", int: (name, def, min, max) => int(env, name, def, min, max) },
      (message) => {
        throw new ConfigError(message);
      },
    ),
    proxies: parseProxies(env),
    metrics: metricsSwitch(env.VELLUM_METRICS),
    outboundAllowHosts: (env.VELLUM_OUTBOUND_ALLOW_HOSTS ?? "").split(",").map((h) => h.trim()).filter(Boolean),
    dataDir,
    databaseUrl,
    embeddedPgPort: int(env, "VELLUM_EMBEDDED_PG_PORT", 54320, 1024, 65535),
    blobUrl,
    maxMessageBytes: int(env, "VELLUM_MAX_MESSAGE_BYTES", 16 * 1024 * 1024, 64 * 1024, 256 * 1024 * 1024),
    defaultTimeoutMs: int(env, "VELLUM_DEFAULT_TIMEOUT_MS", 5 * 60_000, 100, 24 * 3600_000),
    maxTimeoutMs: int(env, "VELLUM_MAX_TIMEOUT_MS", 6 * 3600_000, 100, 24 * 3600_000),
    streamIdleTimeoutMs: int(env, "VELLUM_STREAM_IDLE_TIMEOUT_MS", 5 * 60_000, 100, 24 * 3600_000),
    shutdownGraceMs: int(env, "VELLUM_SHUTDOWN_GRACE_MS", 10_000, 0, 600_000),
    jobConcurrency: int(env, "VELLUM_JOB_CONCURRENCY", 2, 0, 64),
    dbPoolMax: int(env, "VELLUM_DB_POOL_MAX", 10, 1, 200),
    dbConnectTimeoutMs: int(env, "VELLUM_DB_CONNECT_TIMEOUT_MS", 5_000, 100, 600_000),
    dbAcquireTimeoutMs: int(env, "VELLUM_DB_ACQUIRE_TIMEOUT_MS", 10_000, 100, 600_000),
    logLevel,
  };
}
