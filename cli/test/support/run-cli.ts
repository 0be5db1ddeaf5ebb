import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { buildSdkAndCli } from "../../../scripts/build-once.js";
import { REPO_ROOT } from "../../../scripts/npm.js";

/** The `vellum` command as npm links it (cli/bin/vellum.js, which loads the compiled cli/dist). */
export const VELLUM_BIN = join(REPO_ROOT, "node_modules/.bin/vellum");

/** Builds the SDK and the CLI, so the tests run the current sources compiled (scripts/build-once.ts). */
export const buildCli = buildSdkAndCli;

export interface CliResult<Out = string> {
  code: number | null;
  stdout: Out;
  stderr: string;
}

/**
 * Runs the built `vellum` as its own process, with `env` over a clean environment (PATH with this
 * Node first, and HOME), no terminal on any stream, and `stdin` written to its standard input.
 * Standard output as raw bytes (for `pull` to standard output).
 */
export function runVellumRaw(args: string[], env: Record<string, string> = {}, stdin?: Uint8Array | string): Promise<CliResult<Buffer>> {
  const child = spawn(VELLUM_BIN, args, {
    env: { PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}`, HOME: process.env.HOME ?? "/root", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on("data", (d: Buffer) => out.push(d));
  child.stderr.on("data", (d: Buffer) => err.push(d));
  child.stdin.on("error", () => undefined); // the CLI may exit before reading everything
  child.stdin.end(stdin);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8") }));
  });
}

/** runVellumRaw with standard output as UTF-8 text. */
export async function runVellum(args: string[], env: Record<string, string> = {}, stdin?: Uint8Array | string): Promise<CliResult> {
  const r = await runVellumRaw(args, env, stdin);
  return { ...r, stdout: r.stdout.toString("utf8") };
}
