import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));
const PACKAGE = JSON.parse(readFileSync(fileURLToPath(new URL("../../../package.json", import.meta.url)), "utf8")) as { scripts: { start: string } };
/** The Node flags and environment of `npm start`, read from package.json so the two cannot drift apart. */
const START_WORDS = PACKAGE.scripts.start.split(/\s+/);
export const START_NODE_FLAGS = START_WORDS.filter((a) => a.startsWith("--"));
export const START_ENV = Object.fromEntries(START_WORDS.filter((a) => /^[A-Z_]+=/.test(a)).map((a) => a.split("=", 2)));

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

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  logs: string[];
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/**
 * Runs `server/src/main.ts` as its own Node process (the same Node that runs the tests, with the
 * tsx loader), exactly as `npm start` does, and waits until it logs that it is listening.
 */
export async function startServerProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<ServerProcess> {
  const port = Number(env.PORT) || (await freePort());
  const childEnv: Record<string, string> = { ...(process.env as Record<string, string>), ...START_ENV, ...env, PORT: String(port) };
  delete childEnv.DATABASE_URL;
  if (env.DATABASE_URL) childEnv.DATABASE_URL = env.DATABASE_URL;
  // The same Node flags as `npm start` (package.json): a small young generation bounds RSS, and a
  // larger old-generation growing factor cuts the full GCs that streaming buffers trigger.
  const child = spawn(process.execPath, [...START_NODE_FLAGS, "--import", "tsx", MAIN], { env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  const logs: string[] = [];
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${logs.join("\n")}`)), timeoutMs);
    const onLine = (d: Buffer) => {
      const lines = d.toString().split("\n").filter(Boolean);
      logs.push(...lines);
      if (lines.some((l) => l.includes('"vellum listening"'))) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", onLine);
    child.stderr!.on("data", onLine);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${logs.join("\n")}`));
    });
  });
  return { child, port, logs, exited };
}
