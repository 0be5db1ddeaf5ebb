import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";

/** Committed drizzle-kit migrations: server/migrations, which the build copies to dist/server/migrations. */
export const migrationsFolder = fileURLToPath(new URL("../../../migrations", import.meta.url));

/**
 * Applies pending migrations on a dedicated single connection. A transaction-scoped advisory lock
 * in drizzle's migrator table is not enough across processes, so we take a session advisory lock.
 */
export async function runMigrations(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`select pg_advisory_lock(7261626)`;
    await migrate(drizzle(sql), { migrationsFolder });
    await sql`select pg_advisory_unlock(7261626)`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
