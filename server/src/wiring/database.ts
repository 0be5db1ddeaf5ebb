import { join } from "node:path";
import type { Config } from "../config.js";
import type { Logger } from "../lib/logger.js";
import { openDatabase, type Database } from "../storage/db/client.js";
import { startEmbeddedPostgres } from "../storage/db/embedded.js";
import { runMigrations } from "../storage/db/migrate.js";
import type { Wired } from "./module.js";

export interface DatabaseUseCases {
  database: Database;
}

/** PostgreSQL: external (DATABASE_URL) or embedded under `<data dir>/pg`, migrated, and a pool. */
export async function wireDatabase(
  config: Pick<Config, "databaseUrl" | "dataDir" | "embeddedPgPort" | "dbPoolMax">,
  log: Logger,
): Promise<Wired<DatabaseUseCases>> {
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
  return {
    useCases: { database },
    jobKinds: [],
    async close() {
      await database.close();
      await embedded?.stop();
    },
  };
}
