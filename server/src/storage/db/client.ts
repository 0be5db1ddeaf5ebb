import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema/index.js";

export type Db = PostgresJsDatabase<typeof schema>;

export interface Database {
  db: Db;
  sql: postgres.Sql;
  close(): Promise<void>;
}

/**
 * Opens a postgres.js pool wrapped by drizzle. `statement_timeout` bounds every statement so a stuck
 * query cannot hold a request forever. `onConnectionClosed` hears every pooled connection that
 * closes (e.g. to probe the database at once when PostgreSQL restarts).
 */
export function openDatabase(
  url: string,
  opts: { max?: number; statementTimeoutMs?: number; onConnectionClosed?: () => void } = {},
): Database {
  const sql = postgres(url, {
    max: opts.max ?? 10,
    onnotice: () => {},
    onclose: () => opts.onConnectionClosed?.(),
    connection: { statement_timeout: opts.statementTimeoutMs ?? 60_000, application_name: "vellum" },
  });
  const db = drizzle(sql, { schema });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}
