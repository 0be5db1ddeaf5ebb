import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));
const PACKAGE = JSON.parse(readFileSync(fileURLToPath(new URL("../../../package.json", import.meta.url)), "utf8")) as { scripts: { start: string } };
/** The Node flags and environment of `npm start`, read from package.json so the two cannot drift apart. */
const START_WORDS = PACKAGE.scripts.start.split(/\s+/);
const START_NODE_FLAGS = START_WORDS.filter((a) => a.startsWith("--"));
const START_ENV = Object.fromEntries(START_WORDS.filter((a) => /^[A-Z_]+=/.test(a)).map((a) => a.split("=", 2)));

/**
 * Runs the TypeScript file `script` as its own Node process with the Node flags and environment of
 * `npm start` (package.json), from the sources: the Node that runs the caller with the tsx loader
 * (as `npm run dev` does; production-start.test.ts covers the compiled start), over this process's
 * environment. `env` goes on top; a key set to
 * undefined there is removed.
 */
export function spawnLikeStart(script: string, env: Record<string, string | undefined>, stdio: StdioOptions, cwd?: string): ChildProcess {
  const merged: Record<string, string | undefined> = { ...process.env, ...START_ENV, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete merged[k];
  return spawn(process.execPath, [...START_NODE_FLAGS, "--import", "tsx", script], { env: merged, stdio, cwd });
}

/** A free loopback TCP port (closed again before it is returned). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface NodeProcess {
  child: ChildProcess;
  /** Every stdout and stderr line so far. */
  logs: string[];
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

export interface ServerProcess extends NodeProcess {
  port: number;
}

/**
 * Runs the TypeScript file `script` as its own process (spawnLikeStart) and waits until it prints
 * a line containing `ready`. The database is the caller's or none: this process's DATABASE_URL is
 * not inherited.
 */
export async function startNodeProcess(script: string, env: Record<string, string>, ready: string, timeoutMs = 60_000, cwd?: string): Promise<NodeProcess> {
  const child = spawnLikeStart(script, { ...env, DATABASE_URL: env.DATABASE_URL || undefined }, ["ignore", "pipe", "pipe"], cwd);
  const logs: string[] = [];
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  let partial = "";
  const onData = (d: Buffer) => {
    const text = partial + d.toString();
    const lines = text.split("\n");
    partial = lines.pop() ?? "";
    logs.push(...lines.filter(Boolean));
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start: ${logs.join("\n")}`)), timeoutMs);
    const poll = setInterval(() => {
      if (logs.some((l) => l.includes(ready))) {
        clearTimeout(timer);
        clearInterval(poll);
        resolve();
      }
    }, 20);
    void exited.then((code) => {
      clearTimeout(timer);
      clearInterval(poll);
      reject(new Error(`${script} exited with ${code}: ${logs.join("\n")}`));
    });
  });
  return { child, logs, exited };
}

/**
 * Runs `server/src/main.ts` as its own Node process (the same Node that runs the tests, with the
 * tsx loader and the flags and environment of `npm start`), and waits until it logs that it is
 * listening. `opts.repo` runs the main.ts of another copy of the repository, from that directory.
 */
export async function startServerProcess(env: Record<string, string>, timeoutMs = 60_000, opts: { repo?: string } = {}): Promise<ServerProcess> {
  const port = Number(env.PORT) || (await freePort());
  const main = opts.repo ? join(opts.repo, "server", "src", "main.ts") : MAIN;
  const p = await startNodeProcess(main, { ...env, PORT: String(port) }, '"vellum listening"', timeoutMs, opts.repo);
  return { ...p, port };
}
