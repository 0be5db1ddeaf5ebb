import { composeServices } from "../../src/compose.js";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/lib/logger.js";

/**
 * A job worker process for restore tests: the production composition (compose.ts, every kind, the
 * real runner) as `npm run worker` builds it, with short job timing from the environment so a
 * killed worker's job is taken over in seconds. Prints "restore worker ready pid:<pid>".
 * Env: the server's (DATABASE_URL, VELLUM_DATA_DIR, VELLUM_PUBLIC_URL, ...), plus LEASE_MS,
 * HEARTBEAT_MS, POLL_MS, BACKOFF_BASE_MS, BACKOFF_CAP_MS.
 */
const env = process.env;
const n = (name: string, def: number) => Number(env[name] ?? def);
const config = loadConfig({ ...env, VELLUM_JOB_CONCURRENCY: env.VELLUM_JOB_CONCURRENCY ?? "2" });
const log = createLogger((env.VELLUM_LOG_LEVEL as "warn") ?? "warn", { service: "restore-test-worker" });
const services = await composeServices(config, log, {
  jobTiming: {
    leaseMs: n("LEASE_MS", 1500),
    heartbeatMs: n("HEARTBEAT_MS", 200),
    pollMs: n("POLL_MS", 500),
    backoff: { baseMs: n("BACKOFF_BASE_MS", 200), capMs: n("BACKOFF_CAP_MS", 400) },
  },
});
console.log(`restore worker ready pid:${process.pid}`);
process.on("SIGTERM", () => {
  void services.close(2000).then(() => process.exit(0));
});
