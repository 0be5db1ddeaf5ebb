import { mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { createHash } from "node:crypto";
import { npm, REPO_ROOT } from "./npm.js";

const CACHE = join(REPO_ROOT, "node_modules/.cache/vellum-build");
const WAIT = new Int32Array(new SharedArrayBuffer(4));
/** A lock older than this is taken to belong to a process that died holding it. */
const STALE_LOCK_MS = 10 * 60_000;

/** Path, size and mtime of every file under `inputs` (files or folders, relative to the repository). */
function fingerprint(inputs: readonly string[]): string {
  const hash = createHash("sha256");
  const walk = (path: string): void => {
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) return hash.update(`${relative(REPO_ROOT, path)}:missing\n`), undefined;
    if (st.isDirectory()) {
      for (const name of readdirSync(path).sort()) if (name !== "node_modules" && name !== "dist") walk(join(path, name));
      return;
    }
    hash.update(`${relative(REPO_ROOT, path)}:${st.size}:${st.mtimeMs}\n`);
  };
  for (const input of inputs) walk(join(REPO_ROOT, input));
  return hash.digest("hex");
}

function acquire(lock: string): void {
  for (;;) {
    try {
      return mkdirSync(lock);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_LOCK_MS) rmdirSync(lock);
      else Atomics.wait(WAIT, 0, 0, 200);
    }
  }
}

/**
 * Runs `build` unless the files under `inputs` are unchanged since its last successful run, holding
 * a cross-process lock meanwhile: test suites that run in parallel and each need a build (the SDK,
 * the CLI) build it once, and none reads the output while another rewrites it.
 */
export function buildOnce(name: string, inputs: readonly string[], build: () => void): void {
  mkdirSync(CACHE, { recursive: true });
  const lock = join(CACHE, `${name}.lock`);
  const stamp = join(CACHE, `${name}.stamp`);
  acquire(lock);
  try {
    const current = fingerprint(inputs);
    let previous = "";
    try {
      previous = readFileSync(stamp, "utf8");
    } catch {
      previous = "";
    }
    if (previous === current) return;
    build();
    writeFileSync(stamp, current);
  } finally {
    rmdirSync(lock);
  }
}

/** What the SDK and CLI builds read. */
const SDK_CLI_INPUTS = ["gen", "sdk/src", "sdk/package.json", "sdk/tsconfig.build.json", "cli/src", "cli/bin", "cli/package.json", "cli/tsconfig.build.json", "tsconfig.json"];

/** `npm run build` of the SDK and CLI workspaces (sdk/dist, cli/dist), through buildOnce. */
export function buildSdkAndCli(): void {
  buildOnce("sdk-cli", SDK_CLI_INPUTS, () => npm(["run", "build", "--workspace", "sdk", "--workspace", "cli"]));
}
