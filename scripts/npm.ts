import { execFileSync, type ExecFileSyncOptions } from "node:child_process";
import { resolve } from "node:path";

/** The repository root. */
export const REPO_ROOT = resolve(import.meta.dirname, "..");

/**
 * Runs npm synchronously: the npm that runs this process's script when there is one (npm test sets
 * npm_execpath), on this process's Node; otherwise `npm` from PATH. Returns its stdout.
 */
export function npm(args: string[], options: ExecFileSyncOptions = {}): string {
  const execpath = process.env.npm_execpath;
  const [cmd, argv] = execpath && /\.[cm]?js$/.test(execpath) ? [process.execPath, [execpath, ...args]] : ["npm", args];
  return execFileSync(cmd, argv, { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...options }).toString();
}
