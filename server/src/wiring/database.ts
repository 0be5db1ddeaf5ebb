import type { Config } from "../config.js";
import type { Logger } from "../lib/logger.js";
import { watchDatabaseAvailability, type DatabaseAvailability } from "../storage/db/availability.js";
import { openDatabase, type Database } from "../storage/db/client.js";
import { startEmbeddedPostgres } from "../storage/db/embedded.js";
import { runMigrations } from "../storage/db/migrate.js";
import type { Wired } from "./module.js";

export interface DatabaseUseCases {
  database: Database;
  /** Whether PostgreSQL answers (main.ts turns it into the health status). */
  availability: DatabaseAvailability;
}

/**
 * PostgreSQL: external (DATABASE_URL) or embedded under `<data dir>/pg`, migrated, a pool, and an
 * availability probe (a closed pooled connection triggers a check at once).
 */
export async function wireDatabase(
  config: Pick<Config, "databaseUrl" | "dataDir" | "embeddedPgPort" | "dbPoolMax" | "dbConnectTimeoutMs" | "dbAcquireTimeoutMs">,
  log: Logger,
): Promise<Wired<DatabaseUseCases>> {
  const embedded = config.databaseUrl
    ? undefined
    : await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPgPort, log });
  const url = config.databaseUrl ?? embedded!.url;
  try {
    await runMigrations(url);
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
  const availability = watchDatabaseAvailability({ url, log });
  const database = openDatabase(url, {
    max: config.dbPoolMax,
    connectTimeoutMs: config.dbConnectTimeoutMs,
    acquireTimeoutMs: config.dbAcquireTimeoutMs,
    onConnectionClosed: () => availability.check(),
  });
  return {
    useCases: { database, availability },
    jobKinds: [],
    async close() {
      await availability.close();
      await database.close();
      await embedded?.stop();
    },
  };
}
