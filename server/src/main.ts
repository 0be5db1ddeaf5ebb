import { HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { createApp } from "./app.js";
import { composeServices } from "./compose.js";
import { ConfigError, loadConfig } from "./config.js";
import { withCors } from "./http/cors.js";
import { listen } from "./http/listen.js";
import { serverUrl, startupBanner } from "./http/startup-banner.js";
import { createLogger } from "./lib/logger.js";
import { releaseStartupMemory } from "./lib/memory.js";
import { drainOnSignals } from "./lib/shutdown.js";
import { handleUnhandledRejections } from "./lib/unhandled-rejections.js";
import { isDatabaseUnavailable } from "./storage/db/db-errors.js";

/** Composition root: config -> dependencies -> listen; SIGTERM/SIGINT drain and close. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`vellum: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel, { service: "vellum" });
  handleUnhandledRejections(log, isDatabaseUnavailable);
  const services = await composeServices(config, log);
  const { handler, health } = createApp({
    ...services,
    log,
  });
  // Health follows the database: NOT_SERVING while PostgreSQL does not answer, SERVING once it does.
  let stopping = false;
  services.availability.onChange((up) => {
    if (!stopping) health.setAll(up ? HealthCheckResponse_ServingStatus.SERVING : HealthCheckResponse_ServingStatus.NOT_SERVING);
  });
  const served = config.corsOrigins ? withCors(handler, { allowedOrigins: config.corsOrigins }) : handler;
  const released = releaseStartupMemory();
  if (released) log.info("start-up memory released", released);
  const listener = await listen(served, { port: config.port, host: config.host });
  if (config.security.auth === "none") {
    log.warn("VELLUM_AUTH=none: requests without credentials act as a local admin with every scope; listening on loopback only");
  }
  log.info("vellum listening", {
    port: listener.port,
    host: config.host,
    database: config.databaseUrl ? "external" : "embedded",
    blobs: services.blobs.description,
  });
  console.log(startupBanner(serverUrl(config.host, listener.port), { devMode: config.security.auth === "none" }));

  drainOnSignals(log, async () => {
    stopping = true;
    health.setAll(HealthCheckResponse_ServingStatus.NOT_SERVING);
    services.events.closeStreams();
    await listener.close(config.shutdownGraceMs);
    await services.close(config.shutdownGraceMs);
  });
}

main().catch((err) => {
  console.error("vellum failed to start:", err instanceof Error ? err.message : "unknown error");
  process.exit(1);
});
