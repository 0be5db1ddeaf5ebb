/**
 * Helpers for BlobStore tests (conformance suite, wrapper tests). Test-only: production code must
 * not import this file.
 */
import { createHash } from "node:crypto";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as assert from "uvu/assert";
import { type BlobErrorKind, isBlobError } from "./blob-store.js";

/** Drains an async iterable of chunks into one buffer. */
export async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return Buffer.concat(parts);
}

/** Drains an async iterable into an array. */
export async function toArray<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of items) out.push(x);
  return out;
}

/** `n` bytes of a deterministic, non-repeating-looking pattern that depends on `seed`. */
export function pattern(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Splits `data` into chunks of the given sizes (cycled), as an async stream. */
export async function* chunked(data: Uint8Array, sizes: number[] = [7, 1000, 65536, 1]): AsyncIterable<Uint8Array> {
  let at = 0;
  for (let i = 0; at < data.byteLength; i++) {
    const n = sizes[i % sizes.length];
    yield data.slice(at, at + n);
    at += n;
    await Promise.resolve();
  }
}

/** Asserts that `run` rejects (or throws) a BlobError of `kind`, and returns it. */
export async function expectBlobError(run: () => Promise<unknown>, kind: BlobErrorKind) {
  try {
    await run();
  } catch (e) {
    assert.ok(isBlobError(e, kind), `expected ${kind}, got ${String(e)}`);
    return e;
  }
  assert.unreachable(`expected ${kind}, but it succeeded`);
}

/** Asserts that `run` rejects (or throws) with an error satisfying `check`. */
export async function expectRejection(run: () => Promise<unknown>, check: (e: unknown) => boolean, what: string) {
  try {
    await run();
  } catch (e) {
    assert.ok(check(e), `expected ${what}, got ${String(e)}`);
    return e;
  }
  assert.unreachable(`expected ${what}, but it succeeded`);
}

export const equalBytes = (actual: Uint8Array, expected: Uint8Array, msg?: string) => {
  assert.is(actual.byteLength, expected.byteLength, `${msg ?? "bytes"}: length`);
  assert.ok(Buffer.from(actual).equals(Buffer.from(expected)), `${msg ?? "bytes"}: content differs`);
};

export const sha256Hex = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(v: T): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Live ArrayBuffer memory (Node Buffers included) after a full garbage collection. Exposes V8's
 * `gc` on first use; only for tests that check a streaming path keeps memory bounded.
 */
export function liveArrayBufferBytes(): number {
  if (fullGc === undefined) {
    setFlagsFromString("--expose-gc");
    fullGc = runInNewContext("gc") as () => void;
  }
  fullGc();
  return process.memoryUsage().arrayBuffers;
}

let fullGc: (() => void) | undefined;
