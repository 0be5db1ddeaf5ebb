import { composeServices } from "./compose.js";
import { ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./lib/logger.js";
import { drainOnSignals } from "./lib/shutdown.js";
import { handleUnhandledRejections } from "./lib/unhandled-rejections.js";
import { isDatabaseUnavailable } from "./storage/db/db-errors.js";

/**
 * Job worker entry (`npm run worker`): the same wiring as the API, without the API. It runs
 * VELLUM_JOB_CONCURRENCY jobs at once and the scheduler of recurring system jobs, on the database
 * the API uses (DATABASE_URL is required: the embedded PostgreSQL belongs to the API process).
 * Any number of workers may run; SIGTERM/SIGINT let running jobs finish for VELLUM_SHUTDOWN_GRACE_MS,
 * then hand the rest back to the queue.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
    if (!config.databaseUrl) throw new ConfigError("the worker needs DATABASE_URL: the PostgreSQL the API uses");
    if (config.jobConcurrency < 1) throw new ConfigError("the worker needs VELLUM_JOB_CONCURRENCY of at least 1");
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`vellum worker: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel, { service: "vellum-worker" });
  handleUnhandledRejections(log, isDatabaseUnavailable);
  const services = await composeServices(config, log);
  log.info("vellum worker started", { workerId: services.workerId, concurrency: config.jobConcurrency, kinds: services.kinds.types() });

  drainOnSignals(log, () => services.close(config.shutdownGraceMs));
}

main().catch((err) => {
  console.error("vellum worker failed to start:", err instanceof Error ? err.message : "unknown error");
  process.exit(1);
});
