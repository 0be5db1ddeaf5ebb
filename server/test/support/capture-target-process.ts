import { fileURLToPath } from "node:url";
import { startNodeProcess, type NodeProcess } from "./server-process.js";

const TARGET = fileURLToPath(new URL("./capture-target.ts", import.meta.url));

/** The capture target (capture-target.ts) as its own process, and what a test does with it. */
export interface CaptureTarget {
  proc: NodeProcess;
  baseUrl: string;
  /** Sets a resource's state. */
  set(resourceId: string, body: string | Uint8Array): Promise<void>;
  /** CaptureCurrent calls so far, by resource id, in order. */
  calls(): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startCaptureTarget(): Promise<CaptureTarget> {
  const proc = await startNodeProcess(TARGET, {}, "target ready");
  const port = Number(/port:(\d+)/.exec(proc.logs.find((l) => l.includes("target ready"))!)![1]);
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    proc,
    baseUrl,
    async set(resourceId, body) {
      const res = await fetch(`${baseUrl}/_state/${encodeURIComponent(resourceId)}`, { method: "PUT", body: typeof body === "string" ? body : Buffer.from(body) });
      if (res.status !== 204) throw new Error(`target refused the state: ${res.status}`);
    },
    calls: async () => (await (await fetch(`${baseUrl}/_calls`)).json()) as string[],
    async stop() {
      if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill("SIGKILL");
      await proc.exited;
    },
  };
}
