/**
 * On-demand install and start of the Cloud Storage emulator (firebase-tools, pinned by the
 * committed package.json + package-lock.json beside this file) for tests.
 *
 * The emulator never enters the service's dependencies: it is installed with `npm ci` into
 * `<repo>/.tmp/gcs-emulator/` (gitignored), with install scripts disabled (`allowScripts` denies
 * re2's native build, and `--ignore-scripts` backs that up). An install is reused while its stamp
 * (a digest of the committed manifest and lockfile) matches. Installs are staged in a sibling
 * directory and renamed into place, so concurrent or interrupted installs never leave a
 * half-installed tree that looks complete.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFile, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";

const here = import.meta.dirname;
const repoRoot = resolve(here, "..", "..");
/** Where `npm ci` installs the emulator unless told otherwise. */
export const DEFAULT_INSTALL_DIR = join(repoRoot, ".tmp", "gcs-emulator");
const STAMP = ".vellum-install-stamp";
const ENTRY = join("node_modules", "firebase-tools", "lib", "emulator", "storage", "server.js");

export interface InstallOptions {
  installDir?: string;
  /** Receives npm's output lines (default: discarded; npm's stderr is kept for error messages). */
  log?: (line: string) => void;
}

export interface RunningGcsEmulator {
  /** Base URL for `new Storage({ apiEndpoint })`, e.g. http://127.0.0.1:40123. */
  endpoint: string;
  /**
   * With `logRequests`: the requests served since the previous call (at most the latest 5000),
   * oldest first, as `METHOD URL range=RANGE`. Waits until every request answered before the call
   * has been logged.
   */
  takeRequests(): Promise<string[]>;
  /** Stops the emulator process and waits for it to exit; its data is gone afterwards. */
  stop(): Promise<void>;
}

async function manifestStamp(): Promise<string> {
  const h = createHash("sha256");
  for (const f of ["package.json", "package-lock.json"]) h.update(await readFile(join(here, f)));
  return h.digest("hex");
}

async function isInstalled(dir: string, stamp: string): Promise<boolean> {
  try {
    const [have] = await Promise.all([readFile(join(dir, STAMP), "utf8"), readFile(join(dir, ENTRY))]);
    return have === stamp;
  } catch {
    return false;
  }
}

let installing: Promise<string> | undefined;

/**
 * Installs the emulator if it is missing or stale and returns the install directory. Rejects
 * (never silently succeeds) when npm fails, e.g. because the registry cannot be reached.
 */
export function installGcsEmulator(options: InstallOptions = {}): Promise<string> {
  if (options.installDir === undefined) {
    installing ??= doInstall(DEFAULT_INSTALL_DIR, options.log).finally(() => (installing = undefined));
    return installing;
  }
  return doInstall(resolve(options.installDir), options.log);
}

async function doInstall(dir: string, log?: (line: string) => void): Promise<string> {
  const stamp = await manifestStamp();
  if (await isInstalled(dir, stamp)) return dir;
  const staging = `${dir}.staging-${process.pid}-${Date.now()}`;
  await mkdir(staging, { recursive: true });
  try {
    for (const f of ["package.json", "package-lock.json"]) await copyFile(join(here, f), join(staging, f));
    await run("npm", ["ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"], staging, log);
    await writeFile(join(staging, STAMP), stamp);
    if (await isInstalled(dir, stamp)) return dir; // another process finished first
    await rm(dir, { recursive: true, force: true });
    await mkdir(dirname(dir), { recursive: true });
    await rename(staging, dir).catch(async (e: unknown) => {
      if (!(await isInstalled(dir, stamp))) throw e;
    });
    return dir;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

function run(cmd: string, args: string[], cwd: string, log?: (line: string) => void): Promise<void> {
  return new Promise((ok, fail) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => log?.(d.toString()));
    child.stderr.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
      log?.(d.toString());
    });
    child.on("error", fail);
    child.on("close", (code) =>
      code === 0 ? ok() : fail(new Error(`${cmd} ${args.join(" ")} failed (exit ${code}):\n${stderr}`)),
    );
  });
}

export interface EnsureOptions extends InstallOptions {
  /** Loopback host to listen on (default 127.0.0.1). */
  host?: string;
  /** Enforce `ifGenerationMatch` on uploads as GCS does (default true; see start.mjs). */
  preconditions?: boolean;
  /** Log every request for `takeRequests()` (default false). */
  logRequests?: boolean;
  /** Milliseconds to wait for the emulator to listen (default 180 s: a loaded 2-core machine is slow to load it). */
  startTimeoutMs?: number;
}

/**
 * Installs the emulator if needed, starts it as a child process on a free loopback port and
 * resolves once it serves requests. The child exits with this process (it watches its stdin),
 * so a test run that dies does not leak it; call `stop()` to end it earlier.
 */
export async function ensureGcsEmulator(options: EnsureOptions = {}): Promise<RunningGcsEmulator> {
  const dir = await installGcsEmulator(options);
  const args = [join(here, "start.mjs"), "--install-dir", dir, "--host", options.host ?? "127.0.0.1", "--exit-with-stdin"];
  if (options.preconditions ?? true) args.push("--preconditions");
  if (options.logRequests) args.push("--log-requests");
  const child = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "pipe"] });
  let requests: string[] = [];
  const markers = new Map<string, () => void>();
  let markerSeq = 0;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(killer);
    }
  };
  let pending = "";
  let ready: ((endpoint: string) => void) | undefined;
  child.stdout.on("data", (d: Buffer) => {
    const lines = (pending + d.toString()).split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      const req = /^GCS_REQUEST (.*)$/.exec(line);
      if (req) {
        requests.push(req[1]);
        if (requests.length > 5000) requests.splice(0, requests.length - 5000);
      }
      const marker = /^GCS_LOG_MARKER (\S+)$/.exec(line);
      if (marker) markers.get(marker[1])?.();
      const m = /^GCS_EMULATOR_READY (\S+)$/.exec(line);
      if (m) ready?.(m[1]);
    }
  });
  const endpoint = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`GCS emulator did not start in time:\n${stderr}`)), options.startTimeoutMs ?? 180_000);
    ready = (url) => {
      clearTimeout(timer);
      ok(url);
    };
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`GCS emulator exited (code ${code}) before listening:\n${stderr}`));
    });
    child.once("error", (e) => {
      clearTimeout(timer);
      fail(e);
    });
  }).catch(async (e: unknown) => {
    await stop();
    throw e;
  });
  // Output keeps being drained by the data listener; do not keep this process alive for the child.
  for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void }).unref?.();
  child.unref();
  const takeRequests = async () => {
    if (!options.logRequests) throw new Error("takeRequests needs ensureGcsEmulator({ logRequests: true })");
    const id = String(++markerSeq);
    const seen = new Promise<void>((r) => markers.set(id, r));
    const res = await fetch(`${endpoint}/__vellum/log-marker/${id}`);
    await res.arrayBuffer();
    await seen;
    markers.delete(id);
    const taken = requests;
    requests = [];
    return taken;
  };
  return { endpoint, takeRequests, stop };
}
