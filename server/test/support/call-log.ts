import { Code, ConnectError } from "@connectrpc/connect";

/** One finished RPC: what it was, how it ended (OK or a code), when it started and how long it took. */
export interface CallRecord {
  kind: string;
  code: Code | "OK";
  startedAt: number;
  ms: number;
  message?: string;
}

/**
 * Records every call a load generator makes, so a test can assert on all of them afterwards:
 * which codes were answered, which took longer than a bound, which failed after a point in time.
 */
export function createCallLog() {
  const calls: CallRecord[] = [];
  return {
    calls,
    /** Runs `fn`, records its outcome, and returns its result (undefined when it failed). */
    async record<T>(kind: string, fn: () => Promise<T>): Promise<T | undefined> {
      const startedAt = Date.now();
      try {
        const out = await fn();
        calls.push({ kind, code: "OK", startedAt, ms: Date.now() - startedAt });
        return out;
      } catch (e) {
        const err = ConnectError.from(e);
        calls.push({ kind, code: err.code, startedAt, ms: Date.now() - startedAt, message: err.rawMessage });
        return undefined;
      }
    },
    /** Calls per kind and outcome, e.g. `{"create OK": 40, "get UNAVAILABLE": 3}`. */
    summary(from = 0): Record<string, number> {
      const out: Record<string, number> = {};
      for (const c of calls.slice(from)) {
        const key = `${c.kind} ${c.code === "OK" ? "OK" : Code[c.code]}`;
        out[key] = (out[key] ?? 0) + 1;
      }
      return out;
    },
    /** The calls that took longer than `ms`, or ended with a code outside `allowed`. */
    violations(ms: number, allowed: ReadonlyArray<Code | "OK">, from = 0): CallRecord[] {
      return calls.slice(from).filter((c) => c.ms > ms || !allowed.includes(c.code));
    },
  };
}

export type CallLog = ReturnType<typeof createCallLog>;

/** Renders records for an assertion message (code names, not numbers). */
export function describeCalls(records: CallRecord[], max = 10): string {
  return JSON.stringify(records.slice(0, max).map((c) => ({ ...c, code: c.code === "OK" ? "OK" : Code[c.code] })));
}
