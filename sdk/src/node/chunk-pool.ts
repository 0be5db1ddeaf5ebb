/**
 * Where an incremental upload hashes and compresses its windows: the process's shared pool of
 * worker threads (chunk-worker.ts) or, with no workers, the calling thread. Both run chunk-work.ts,
 * so their results are identical. A window's buffer is a SharedArrayBuffer that a worker reads in
 * place: never copied, and never moved (a buffer moved between threads is new external memory to
 * V8 each time, which counts towards its full collections). Until the promise settles the caller
 * must not write to the window's buffer.
 */
import { Worker } from "node:worker_threads";
import { compressChunks, hashChunks, type CompressedChunks } from "./chunk-work.js";
import { createInterruptible } from "./interruptible.js";
import { createZstdContexts, type ZstdContexts } from "./zstd-context.js";

/** A window: `len` bytes of `buf` holding whole chunks that end at `ends` (see chunk-work.ts). */
export interface ChunkWindow {
  buf: SharedArrayBuffer;
  len: number;
  ends: Uint32Array;
}

export interface ChunkWork {
  /** The SHA-256 of every chunk of the window, 32 bytes each. */
  hash(w: ChunkWindow): Promise<Uint8Array>;
  /**
   * zstd frames of the chunks `picks` (see compressChunks), written into `out` (at least `w.len`
   * bytes), which the caller must not touch until the promise settles.
   */
  compress(w: ChunkWindow, picks: Uint32Array, level: number, out: SharedArrayBuffer): Promise<CompressedChunks>;
  /** Stops the workers; pending and later calls reject. Settles once every worker has exited. */
  close(): Promise<void>;
}

/** Messages to a worker: `len` bytes of `buf` are the window. */
export type ToWorker =
  | { t: "hash"; id: number; buf: SharedArrayBuffer; len: number; ends: Uint32Array }
  | { t: "compress"; id: number; buf: SharedArrayBuffer; len: number; ends: Uint32Array; picks: Uint32Array; level: number; out: SharedArrayBuffer };

/** A worker's answers (their buffers transferred, not copied). */
export type ToMain =
  | { t: "hashed"; id: number; digests: Uint8Array }
  | { t: "compressed"; id: number; lengths: Int32Array; total: number }
  | { t: "error"; id: number; message: string };

/** The work on the calling thread, with its own zstd contexts (made on the first compression). */
export function inlineChunkWork(): ChunkWork {
  let zstd: ZstdContexts | undefined | null = null;
  return {
    hash: async (w) => hashChunks(new Uint8Array(w.buf, 0, w.len), w.ends),
    async compress(w, picks, level, out) {
      if (zstd === null) zstd = createZstdContexts();
      return compressChunks(new Uint8Array(w.buf, 0, w.len), w.ends, picks, level, zstd, new Uint8Array(out));
    },
    close: async () => undefined,
  };
}

/** chunk-worker beside this module, with this module's extension: .ts run from sources, .js once built. */
const WORKER_URL = new URL(`./chunk-worker${import.meta.url.slice(import.meta.url.lastIndexOf("."))}`, import.meta.url);

/**
 * A worker's V8 young generation, MiB. Its windows are shared memory outside the JS
 * heap, so the default (tens of MiB per isolate) only holds garbage longer and raises RSS.
 */
const WORKER_YOUNG_GENERATION_MB = 4;

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve(m: ToMain): void; reject(e: Error): void }>;
}

/**
 * The process's worker threads, shared by every upload that runs at once: twenty concurrent
 * uploads use the same few threads, not one set each (each thread is an isolate of its own, about
 * 15 MiB). Up to `size` threads (the largest size asked for while it lives), started as work
 * arrives: a call goes to an idle worker, else a new one while fewer than `size` run, else the
 * least busy. A worker that fails or exits fails the calls it held and is replaced for later ones.
 */
interface SharedPool {
  size: number;
  users: number;
  run(m: ToWorker): Promise<ToMain>;
  terminate(): Promise<void>;
}

let shared: SharedPool | undefined;

function createSharedPool(size: number): SharedPool {
  const slots: Slot[] = [];
  const drop = (slot: Slot, err: Error) => {
    const i = slots.indexOf(slot);
    if (i >= 0) slots.splice(i, 1);
    for (const p of slot.pending.values()) p.reject(err);
    slot.pending.clear();
  };
  const spawn = (): Slot => {
    const slot: Slot = { worker: new Worker(WORKER_URL, { resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } }), pending: new Map() };
    slot.worker.on("message", (m: ToMain) => {
      const p = slot.pending.get(m.id);
      slot.pending.delete(m.id);
      if (m.t === "error") p?.reject(new Error(`chunk worker: ${m.message}`));
      else p?.resolve(m);
    });
    slot.worker.on("error", (err) => drop(slot, new Error(`chunk worker failed: ${err.message}`, { cause: err })));
    slot.worker.on("exit", (code) => drop(slot, new Error(`chunk worker exited with code ${code}`)));
    slots.push(slot);
    return slot;
  };
  const pool: SharedPool = {
    size,
    users: 0,
    run(m) {
      const idle = slots.find((s) => s.pending.size === 0);
      const slot = idle ?? (slots.length < pool.size ? spawn() : slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a)));
      return new Promise<ToMain>((resolve, reject) => {
        slot.pending.set(m.id, { resolve, reject });
        try {
          slot.worker.postMessage(m);
        } catch (err) {
          slot.pending.delete(m.id);
          reject(err);
        }
      });
    },
    async terminate() {
      await Promise.all(slots.splice(0).map((s) => s.worker.terminate()));
    },
  };
  return pool;
}

let nextId = 1;

/**
 * One upload's use of the process's shared worker pool, which grows to at least `size` threads.
 * close() fails this upload's calls still pending (their answers are ignored) and releases the
 * pool; the last upload to release it stops its threads, so an idle process can exit.
 */
export function createChunkPool(size: number): ChunkWork {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`a chunk pool needs at least one worker, got ${size}`);
  const pool = (shared ??= createSharedPool(size));
  pool.size = Math.max(pool.size, size);
  pool.users++;
  const mine = createInterruptible(); // this upload's calls: close() rejects those still pending
  // Nothing is posted once closed: the pool may have stopped, and a call would start a worker again.
  const run = (m: ToWorker): Promise<ToMain> => (mine.reason ? Promise.reject(mine.reason.err) : mine.guard(pool.run(m)));

  return {
    async hash(w) {
      const m = await run({ t: "hash", id: nextId++, buf: w.buf, len: w.len, ends: w.ends });
      if (m.t !== "hashed") throw new Error(`chunk worker answered ${m.t} to hash`);
      return m.digests;
    },
    async compress(w, picks, level, out) {
      const m = await run({ t: "compress", id: nextId++, buf: w.buf, len: w.len, ends: w.ends, picks, level, out });
      if (m.t !== "compressed") throw new Error(`chunk worker answered ${m.t} to compress`);
      return { frames: new Uint8Array(out, 0, m.total), lengths: m.lengths };
    },
    async close() {
      if (mine.reason) return;
      mine.interrupt(new Error("chunk pool closed"));
      if (--pool.users > 0) return;
      if (shared === pool) shared = undefined;
      await pool.terminate();
    },
  };
}
