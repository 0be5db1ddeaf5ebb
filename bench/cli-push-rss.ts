/**
 * Client memory of a pipeline push and pull: the built `vellum push` of a multi-GiB dump file and
 * `vellum pull` of it back, their peak RSS (VmHWM) read from /proc while they run.
 */
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { VELLUM_BIN } from "../cli/test/support/run-cli.js";
import { dumpVersion } from "./data.js";

/** A /proc/PID/status field in KiB; 0 once the process has exited. */
export function statusKiB(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * Writes a dump file of `bytes`: copies of one 100 MB dump version, each XORed with its own byte,
 * so no copy deduplicates against another and every chunk is sent.
 */
export function writeDumpFile(path: string, bytes: number): void {
  const base = dumpVersion(100 * 1000 * 1000, 1);
  const copy = Buffer.allocUnsafe(base.length);
  const fd = openSync(path, "w");
  try {
    for (let written = 0, k = 1; written < bytes; k++) {
      const n = Math.min(base.length, bytes - written);
      for (let i = 0; i < n; i++) copy[i] = base[i] ^ k;
      writeSync(fd, copy, 0, n);
      written += n;
    }
  } finally {
    closeSync(fd);
  }
}

/** Runs the built `vellum` with `args` against the server at `port`: its peak RSS (MiB), wall time (ms) and standard output. */
async function runCli(port: number, args: string[]): Promise<{ peakMiB: number; ms: number; stdout: string }> {
  const t0 = performance.now();
  const child = spawn(VELLUM_BIN, args, {
    env: { PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}`, HOME: process.env.HOME ?? "/root", VELLUM_SERVER: `http://127.0.0.1:${port}`, VELLUM_STORE: "cli-rss" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let peak = 0;
  const sample = setInterval(() => (peak = Math.max(peak, statusKiB(child.pid!, "VmHWM"))), 50);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on("data", (d: Buffer) => out.push(d));
  child.stderr!.on("data", (d: Buffer) => err.push(d));
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  clearInterval(sample);
  if (code !== 0) throw new Error(`vellum ${args[0]} exited ${code}: ${Buffer.concat(err).toString()}`);
  return { peakMiB: peak / 1024, ms: performance.now() - t0, stdout: Buffer.concat(out).toString() };
}

/** Runs `vellum push FILE` against the server at `port`: its peak RSS (MiB), wall time (ms) and the new snapshot's id. */
export async function pushWithCli(port: number, file: string): Promise<{ peakMiB: number; ms: number; snapshotId: string }> {
  const r = await runCli(port, ["push", file, "--resource", "dump/cli-rss", "--type", "db", "--json"]);
  return { ...r, snapshotId: (JSON.parse(r.stdout) as { snapshotId: string }).snapshotId };
}

/** Runs `vellum pull SNAPSHOT FILE` (verified, written atomically) against the server at `port`: its peak RSS (MiB) and wall time (ms). */
export function pullWithCli(port: number, snapshotId: string, file: string): Promise<{ peakMiB: number; ms: number }> {
  return runCli(port, ["pull", snapshotId, file]);
}
