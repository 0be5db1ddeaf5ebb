import { fileURLToPath } from "node:url";
import { startNodeProcess, type NodeProcess } from "./server-process.js";

const SCRIPT = fileURLToPath(new URL("./webhook-receiver.ts", import.meta.url));

export interface ReceivedRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
  verified: boolean[];
  status: number;
  at: number;
}

export interface Receiver {
  proc: NodeProcess;
  url: string;
  control(c: { mode?: "ok" | "fail" | "gone" | "stall" | "redirect"; failTimes?: number; secrets?: string[]; reset?: boolean }): Promise<void>;
  received(): Promise<ReceivedRequest[]>;
  /** Polls `received()` until `pred` holds (or throws after `timeoutMs`). */
  until(pred: (r: ReceivedRequest[]) => boolean, timeoutMs?: number): Promise<ReceivedRequest[]>;
  stop(): Promise<void>;
}

/** Starts test/support/webhook-receiver.ts as its own process. */
export async function startReceiver(): Promise<Receiver> {
  const proc = await startNodeProcess(SCRIPT, {}, "receiver ready");
  const port = Number(/receiver ready (\d+)/.exec(proc.logs.find((l) => l.includes("receiver ready"))!)![1]);
  const base = `http://127.0.0.1:${port}`;
  const received = async () => (await (await fetch(`${base}/_received`)).json()) as ReceivedRequest[];
  return {
    proc,
    url: `${base}/hook`,
    async control(c) {
      await fetch(`${base}/_control`, { method: "POST", body: JSON.stringify(c) });
    },
    received,
    async until(pred, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const r = await received();
        if (pred(r)) return r;
        if (Date.now() > deadline) throw new Error(`receiver condition not met; got ${r.length} request(s)`);
        await new Promise((res) => setTimeout(res, 50));
      }
    },
    async stop() {
      proc.child.kill("SIGTERM");
      await proc.exited;
    },
  };
}

/** Polls `read` until `pred` holds; returns the last value (throws after `timeoutMs`). */
export async function eventually<T>(read: () => Promise<T>, pred: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (pred(v)) return v;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms: ${JSON.stringify(v, (_, x) => (typeof x === "bigint" ? String(x) : x)).slice(0, 500)}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}
