import { fileURLToPath } from "node:url";
import { startNodeProcess, type NodeProcess } from "./server-process.js";
import type { Received } from "./webhook-receiver.js";

const SCRIPT = fileURLToPath(new URL("./webhook-receiver.ts", import.meta.url));

/** One request the receiver got. */
export type ReceivedRequest = Received;

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
    until: (pred, timeoutMs = 20_000) => eventually(received, pred, timeoutMs),
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
