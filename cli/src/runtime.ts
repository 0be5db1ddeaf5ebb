/**
 * The runtime settings the `vellum` command runs under. A push or pull of a multi-GiB file keeps
 * its working set small, but a default Node process lets RSS grow well past it: V8's young
 * generation (up to 16 MiB per semi-space, in the main thread) and glibc's per-thread arenas and
 * high mmap threshold keep freed memory mapped. These three settings bound that; docs/performance.md
 * has the measurements.
 */

/** glibc settings: two malloc arenas, and blocks from 256 KiB up mapped (and unmapped) on their own. */
export const TUNED_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: "2", MALLOC_MMAP_THRESHOLD_: "262144" };

/** V8: a 1 MiB semi-space (the chunk buffers live outside the JS heap). */
export const TUNED_FLAG = "--max-semi-space-size=1";

export interface RuntimeProcess {
  execPath: string;
  execArgv: readonly string[];
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  execve?: unknown;
}

/**
 * The arguments of `process.execve` that restart this command under the tuned settings, keeping
 * its arguments, and the caller's own values of any of them; undefined when this Node has no
 * `execve` or the process already runs with a semi-space setting (a restarted one, or the
 * caller's choice, in its arguments or NODE_OPTIONS).
 */
export function tunedRelaunch(p: RuntimeProcess): [string, string[], Record<string, string>] | undefined {
  if (typeof p.execve !== "function") return undefined;
  const semiSpace = (a: string) => a.includes("--max-semi-space-size");
  if (p.execArgv.some(semiSpace) || semiSpace(p.env.NODE_OPTIONS ?? "")) return undefined;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.env)) if (v !== undefined) env[k] = v;
  for (const [k, v] of Object.entries(TUNED_ENV)) env[k] ??= v;
  return [p.execPath, [p.execPath, ...p.execArgv, TUNED_FLAG, ...p.argv.slice(1)], env];
}
