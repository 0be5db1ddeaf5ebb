import { invalidField } from "../../src/domain/errors.js";
import { defineJobKind } from "../../src/jobs/kind.js";

/** Job kinds for runner tests (never registered by the server). Store-scoped; params validated. */

const num = (raw: Record<string, unknown>, key: string, def: number): number => {
  const v = raw[key] ?? def;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw invalidField(`params.${key}`, "must be a non-negative number");
  return v;
};

/**
 * TEST_SLEEP: logs "ran by <worker>", reports progress, sleeps `ms` (stopping on its signal unless
 * `ignoreSignal`), and succeeds with details.worker naming the worker that finished it.
 */
export function sleepKind(workerId: string) {
  return defineJobKind({
    type: "TEST_SLEEP",
    scope: "store",
    parseParams: (raw) => ({ ms: num(raw, "ms", 0), ignoreSignal: raw.ignoreSignal === true }),
    handler: async ({ params, signal, log, progress }) => {
      log(`ran by ${workerId}`);
      progress(10);
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, params.ms);
        if (!params.ignoreSignal) signal.addEventListener("abort", () => (clearTimeout(t), reject(new Error(String(signal.reason)))), { once: true });
      });
      return { ok: true, result: { details: { worker: workerId } } };
    },
  });
}

/** TEST_CRASH: kills its own process (SIGKILL) mid-attempt, as a crash or the OOM killer would. */
export const crashKind = defineJobKind({
  type: "TEST_CRASH",
  scope: "store",
  maxAttempts: 3,
  parseParams: () => ({}),
  handler: async () => {
    process.kill(process.pid, "SIGKILL");
    await new Promise(() => {});
    return { ok: true, result: {} };
  },
});
