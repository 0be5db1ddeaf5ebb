import postgres from "postgres";
import type { Logger } from "../../lib/logger.js";
import { connectionOptions } from "./client.js";

/** Probe period while the database answers. */
export const PROBE_INTERVAL_UP_MS = 2000;
/** Probe period while it does not, so recovery is noticed quickly. */
export const PROBE_INTERVAL_DOWN_MS = 500;
/** A probe that has not answered by then counts as a failure. */
export const PROBE_TIMEOUT_MS = 3000;

export interface DatabaseAvailability {
  /** Whether the last probe succeeded (true until a probe fails). */
  readonly up: boolean;
  /** Calls `listener` on every change of `up`; returns the unsubscribe function. */
  onChange(listener: (up: boolean) => void): () => void;
  /** Probes now (e.g. because a pooled connection closed) unless a probe is already running. */
  check(): void;
  close(): Promise<void>;
}

/**
 * Watches whether PostgreSQL answers: `select 1` on a dedicated single connection (so a busy request
 * pool cannot make a healthy database look down) every PROBE_INTERVAL_UP_MS, every
 * PROBE_INTERVAL_DOWN_MS while it fails, and at once on `check()`. Transitions are logged once.
 * Its reconnect pauses are as short as the pool's (connectionOptions), so recovery is seen within
 * about a second of PostgreSQL answering again.
 */
export function watchDatabaseAvailability(deps: { url: string; log: Logger; intervalUpMs?: number; intervalDownMs?: number }): DatabaseAvailability {
  const listeners = new Set<(up: boolean) => void>();
  let up = true;
  let probing: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const probe = postgres(deps.url, {
    ...connectionOptions(PROBE_TIMEOUT_MS),
    max: 1,
    onclose: () => check(),
    connection: { application_name: "vellum-probe", statement_timeout: PROBE_TIMEOUT_MS },
  });

  const set = (next: boolean, err?: unknown) => {
    if (next === up) return;
    up = next;
    if (up) deps.log.info("database reachable again");
    else deps.log.warn("database unreachable; health is NOT_SERVING until it answers", { err });
    for (const l of listeners) l(up);
  };

  async function runProbe(): Promise<void> {
    let timeout: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        probe`select 1`,
        new Promise((_, reject) => (timeout = setTimeout(() => reject(new Error("database probe timed out")), PROBE_TIMEOUT_MS))),
      ]);
      set(true);
    } catch (err) {
      set(false, err);
    } finally {
      clearTimeout(timeout);
    }
  }

  function schedule(): void {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(check, up ? (deps.intervalUpMs ?? PROBE_INTERVAL_UP_MS) : (deps.intervalDownMs ?? PROBE_INTERVAL_DOWN_MS));
    timer.unref();
  }

  function check(): void {
    if (closed || probing) return;
    probing = runProbe().finally(() => {
      probing = undefined;
      schedule();
    });
  }

  schedule();
  return {
    get up() {
      return up;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    check,
    async close() {
      closed = true;
      clearTimeout(timer);
      await probing;
      await probe.end({ timeout: 1 });
    },
  };
}
