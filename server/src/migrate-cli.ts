import { ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./lib/logger.js";
import { startEmbeddedPostgres } from "./storage/db/embedded.js";
import { runMigrations } from "./storage/db/migrate.js";

/**
 * `npm run migrate`: applies pending migrations to DATABASE_URL, or to the embedded PostgreSQL in
 * the data dir when DATABASE_URL is unset (started for the purpose and stopped again). The server
 * also migrates at start-up; this is for running migrations as a separate deploy step.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, { service: "vellum-migrate" });
  const embedded = config.databaseUrl ? undefined : await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPgPort, log });
  try {
    await runMigrations(config.databaseUrl ?? embedded!.url);
    log.info("migrations applied", { database: config.databaseUrl ? "external" : "embedded" });
  } finally {
    await embedded?.stop();
  }
}

main().catch((err) => {
  console.error(`vellum migrate: ${err instanceof ConfigError ? err.message : err instanceof Error ? err.message : "failed"}`);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
