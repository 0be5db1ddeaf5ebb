import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { runMigrations } from "../../src/storage/db/migrate.js";

/** The machine's PostgreSQL (CI sets DATABASE_URL; the default matches the dev machines). */
export const ADMIN_URL = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates a fresh, migrated database for one suite; `drop` removes it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `vellum_t_${randomBytes(6).toString("hex")}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  const url = u.toString();
  await runMigrations(url);
  return {
    url,
    async drop() {
      const a = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}
