/**
 * A BlobStore decorator that injects faults, for tests of the layers above the port (kopia's
 * `blobtesting/faulty.go`). It wraps any BlobStore and follows a plan of rules; calls that no
 * rule hits pass straight through.
 *
 * Each rule counts the calls it matches (same op, key matching `key`), starting at 1, and fires
 * on the calls listed in `nth` (every matching call when `nth` is omitted). When several rules
 * fire on one call, their delays all apply first, then the first non-delay fault.
 *
 * Faults:
 * - `error`: the call fails with `error` (default: BlobUnavailable) without reaching the inner
 *   store; with `afterInner: true` (put, delete) the inner call completes first and only the
 *   answer is lost, as when a response is dropped after the backend committed.
 * - `failAfterBytes` (put, get): the stream breaks after `bytes` bytes (at its end if it is
 *   shorter). For put, the inner store sees its source fail after those bytes (so it must leave
 *   no object) and the put rejects with `error`; for get, the caller receives exactly `bytes`
 *   bytes, then `error`.
 * - `corrupt` (get): flips bit `bit` (default 0) of the byte at `offset` (default 0) of the
 *   returned stream, counted from the start of the read; the inner store's data is untouched.
 * - `delay` (any op): waits `ms` before the call proceeds.
 * `injected` records every fault that fired, in order.
 */
import { type BlobBody, type BlobInfo, type BlobStore, type ByteRange, type PutOptions, blobUnavailable } from "./blob-store.js";
import { abortableChunks } from "./blob-support.js";

export type BlobOp = "put" | "get" | "stat" | "list" | "delete";

export type Fault =
  | { kind: "error"; error?: (key: string) => Error; afterInner?: boolean }
  | { kind: "failAfterBytes"; bytes: number; error?: (key: string) => Error }
  | { kind: "corrupt"; offset?: number; bit?: number }
  | { kind: "delay"; ms: number };

export interface FaultRule {
  op: BlobOp;
  /** Matching calls (1-based, counted per rule) on which the fault fires; default: all. */
  nth?: number | number[];
  /** Restricts the rule to keys (for list: prefixes) starting with a string or matching a RegExp. */
  key?: string | RegExp;
  fault: Fault;
}

export interface InjectedFault {
  op: BlobOp;
  key: string;
  /** The rule's count of matching calls when it fired. */
  call: number;
  kind: Fault["kind"];
}

export interface FaultyBlobStore extends BlobStore {
  readonly injected: readonly InjectedFault[];
}

const ALLOWED: Record<Fault["kind"], readonly BlobOp[]> = {
  error: ["put", "get", "stat", "list", "delete"],
  failAfterBytes: ["put", "get"],
  corrupt: ["get"],
  delay: ["put", "get", "stat", "list", "delete"],
};

const injectedError = (key: string) => blobUnavailable(key, new Error("injected fault"));

export function createFaultyBlobStore(inner: BlobStore, plan: readonly FaultRule[]): FaultyBlobStore {
  for (const r of plan) {
    if (!ALLOWED[r.fault.kind].includes(r.op)) {
      throw new TypeError(`fault ${r.fault.kind} does not apply to ${r.op}`);
    }
    if (r.fault.kind === "error" && r.fault.afterInner && r.op !== "put" && r.op !== "delete") {
      throw new TypeError(`afterInner applies to put and delete only, not ${r.op}`);
    }
  }
  const counters = plan.map(() => 0);
  const injected: InjectedFault[] = [];

  /** The faults that fire on this call, delays first. */
  async function arm(op: BlobOp, key: string): Promise<Fault | undefined> {
    const fired: Array<{ fault: Fault; call: number }> = [];
    plan.forEach((r, i) => {
      if (r.op !== op || !keyMatches(r.key, key)) return;
      const call = ++counters[i];
      const nth = r.nth === undefined ? undefined : Array.isArray(r.nth) ? r.nth : [r.nth];
      if (nth === undefined || nth.includes(call)) fired.push({ fault: r.fault, call });
    });
    let chosen: Fault | undefined;
    for (const { fault, call } of fired) {
      if (fault.kind === "delay") {
        injected.push({ op, key, call, kind: "delay" });
        await new Promise((r) => setTimeout(r, fault.ms));
      } else if (chosen === undefined) {
        injected.push({ op, key, call, kind: fault.kind });
        chosen = fault;
      }
    }
    return chosen;
  }

  return {
    description: `faulty(${inner.description})`,
    injected,

    async put(key: string, body: BlobBody, options?: PutOptions): Promise<BlobInfo> {
      const fault = await arm("put", key);
      if (fault?.kind === "error" && !fault.afterInner) throw (fault.error ?? injectedError)(key);
      if (fault?.kind === "failAfterBytes") {
        return inner.put(key, truncated(body, fault.bytes, (fault.error ?? injectedError)(key)), options);
      }
      const info = await inner.put(key, body, options);
      if (fault?.kind === "error") throw (fault.error ?? injectedError)(key);
      return info;
    },

    get(key: string, range?: ByteRange): AsyncIterable<Uint8Array> {
      return (async function* () {
        const fault = await arm("get", key);
        if (fault?.kind === "error") throw (fault.error ?? injectedError)(key);
        const source = inner.get(key, range);
        if (fault?.kind === "failAfterBytes") {
          yield* truncated(source, fault.bytes, (fault.error ?? injectedError)(key));
        } else if (fault?.kind === "corrupt") {
          yield* corrupted(source, fault.offset ?? 0, fault.bit ?? 0);
        } else {
          yield* source;
        }
      })();
    },

    async stat(key: string): Promise<BlobInfo | undefined> {
      const fault = await arm("stat", key);
      if (fault?.kind === "error") throw (fault.error ?? injectedError)(key);
      return inner.stat(key);
    },

    list(prefix: string): AsyncIterable<BlobInfo> {
      return (async function* () {
        const fault = await arm("list", prefix);
        if (fault?.kind === "error") throw (fault.error ?? injectedError)(prefix);
        yield* inner.list(prefix);
      })();
    },

    async delete(key: string): Promise<void> {
      const fault = await arm("delete", key);
      if (fault?.kind === "error" && !fault.afterInner) throw (fault.error ?? injectedError)(key);
      await inner.delete(key);
      if (fault?.kind === "error") throw (fault.error ?? injectedError)(key);
    },
  };
}

function keyMatches(filter: string | RegExp | undefined, key: string): boolean {
  if (filter === undefined) return true;
  return typeof filter === "string" ? key.startsWith(filter) : filter.test(key);
}

/** Passes exactly `limit` bytes through, then throws `error` (even if the source has ended). */
async function* truncated(body: BlobBody, limit: number, error: Error): AsyncIterable<Uint8Array> {
  let left = limit;
  for await (const chunk of abortableChunks(body)) {
    if (chunk.byteLength >= left) {
      if (left > 0) yield chunk.subarray(0, left);
      throw error;
    }
    left -= chunk.byteLength;
    yield chunk;
  }
  throw error;
}

/** Passes the stream through with one bit flipped at stream offset `offset` (if it is reached). */
async function* corrupted(source: AsyncIterable<Uint8Array>, offset: number, bit: number): AsyncIterable<Uint8Array> {
  let at = 0;
  for await (const chunk of source) {
    if (offset >= at && offset < at + chunk.byteLength) {
      const copy = new Uint8Array(chunk);
      copy[offset - at] ^= 1 << (bit & 7);
      yield copy;
    } else {
      yield chunk;
    }
    at += chunk.byteLength;
  }
}
