/**
 * Worker threads (scan-worker.ts) for the engine's CPU-heavy work: `scan` is a ChunkScanner for
 * ingests, `open` opens (decrypts, decodes, verifies) fetched pack ranges for downloads.
 *
 * Scanning: the hashing and boundary scan run on the workers. SHA-256
 * twice over every byte plus the FastCDC scan are most of an ingest's CPU; off the event loop they
 * overlap with receiving, compressing and writing.
 *
 * Memory: each piece of the source is copied once into a transfer buffer, which goes to the worker
 * and comes back with the piece's chunk boundaries and digests; chunks are views of these buffers
 * (a chunk spanning two is a copy). So the source's buffers die young, and the transfer buffers
 * are recycled once the consumer calls `release(upTo)`. Copying makes `copyInput` irrelevant here.
 * A scan holds at most `windowBytes` (at least the chunker's maximum chunk plus two pieces), plus
 * one piece, not yet handed to its consumer, plus what the consumer has not released.
 *
 * A stream stays on one worker (its state lives there); streams go to the least busy worker.
 * Workers start on first use and hold the process open only while they have work. A worker that
 * dies fails its streams with an error; the next scan starts a fresh one.
 */
import { Worker } from "node:worker_threads";
import { resolveChunkerOptions } from "../../../../sdk/src/chunking/fastcdc.js";
import { Sha256 } from "../../domain/digest.js";
import { DomainError } from "../../domain/errors.js";
import { type GroupOpener, ownsBuffer } from "./chunk-reader.js";
import { isPlainRaw } from "./chunk-record.js";
import type { ChunkScanner, ScannedChunk } from "./content-scan.js";
import { type ToMain, type ToWorker, plainLayout, toWireRecords } from "./scan-protocol.js";

export interface ContentWorkerOptions {
  /** Worker threads; at least 1. */
  workers: number;
  /** Source bytes a scan may hold ahead of its consumer; default 4 MiB, raised to fit the largest chunk. */
  windowBytes?: number;
  /** Size of the transfer buffers pieces are copied into; default 1 MiB. */
  pieceBytes?: number;
}

interface Slot {
  worker: Worker;
  streams: Map<number, (m: ToMain) => void>;
}

/** scan-worker beside this module, with this module's extension: .ts run from sources, .js once built. */
const WORKER_URL = new URL(`./scan-worker${import.meta.url.slice(import.meta.url.lastIndexOf("."))}`, import.meta.url);

export function createContentWorkers(o: ContentWorkerOptions): { scan: ChunkScanner; open: GroupOpener; close(): Promise<void> } {
  const windowBytes = o.windowBytes ?? 4 * 1024 * 1024;
  const pieceBytes = o.pieceBytes ?? 1024 * 1024;
  const slots: Slot[] = [];
  let nextId = 1;
  let closed = false;

  function spawn(): Slot {
    const slot: Slot = { worker: new Worker(WORKER_URL), streams: new Map() };
    const fail = (message: string) => {
      const at = slots.indexOf(slot);
      if (at >= 0) slots.splice(at, 1);
      for (const [id, deliver] of slot.streams) deliver({ t: "error", id, message });
      slot.streams.clear();
    };
    slot.worker.on("message", (m: ToMain) => slot.streams.get(m.id)?.(m));
    slot.worker.on("error", (err) => fail(`chunk scan worker failed: ${err.message}`));
    slot.worker.on("exit", (code) => fail(`chunk scan worker exited with code ${code}`));
    slot.worker.unref();
    slots.push(slot);
    return slot;
  }

  /** Routes the worker's answers for `id` to `deliver`; the worker holds the process open meanwhile. */
  function attach(slot: Slot, id: number, deliver: (m: ToMain) => void): void {
    slot.streams.set(id, deliver);
    if (slot.streams.size === 1) slot.worker.ref();
  }

  /** Stops routing `id`; false when it was not attached (any more). */
  function detach(slot: Slot, id: number): boolean {
    if (!slot.streams.delete(id)) return false;
    if (slot.streams.size === 0) slot.worker.unref();
    return true;
  }

  function acquire(): Slot {
    if (closed) throw new Error("chunk scanner is closed");
    const idle = slots.length < o.workers ? undefined : slots.reduce((a, b) => (b.streams.size < a.streams.size ? b : a));
    return idle ?? spawn();
  }

  const scan: ChunkScanner = (source, so) => {
    const slot = acquire();
    const id = nextId++;
    const post = (m: ToWorker, transfer?: ArrayBuffer[]) => slot.worker.postMessage(m, transfer);
    // The chunk being built counts against the window until it ends, so the window must hold a
    // whole maximum-size chunk plus the pieces around it, or the scan would wait on itself.
    const window = Math.max(windowBytes, resolveChunkerOptions(so.chunking).maxSize + 2 * pieceBytes);
    const maxFree = Math.ceil(window / pieceBytes) + 2;

    const held: { buf: Uint8Array; start: number }[] = []; // scanned pieces, in stream order
    const sent: { start: number; len: number }[] = []; // pieces awaiting an answer, in order
    const free: ArrayBuffer[] = [];
    let ready: ScannedChunk[] = [];
    let streamPos = 0;
    let chunkStart = 0;
    let yieldedEnd = 0; // stream offset just past the last chunk handed to the consumer
    let buffered = 0; // sent to the worker and not yet handed to the consumer
    let failure: unknown;
    let result: { size: number; sha256: Sha256 } | undefined;
    let stopped = false;
    let wakeConsumer: (() => void) | undefined;
    let wakePump: (() => void) | undefined;
    const wake = () => {
      wakeConsumer?.();
      wakeConsumer = undefined;
    };
    const drained = () => {
      wakePump?.();
      wakePump = undefined;
    };

    /** Stream bytes [from, to): a view when they lie in one held piece, else a copy. */
    const slice = (from: number, to: number): Uint8Array => {
      let i = 0;
      while (held[i].start + held[i].buf.length <= from) i++;
      const first = held[i];
      if (to <= first.start + first.buf.length) return first.buf.subarray(from - first.start, to - first.start);
      const out = new Uint8Array(to - from);
      for (let at = from; at < to; i++) {
        const h = held[i];
        const part = h.buf.subarray(at - h.start, Math.min(h.buf.length, to - h.start));
        out.set(part, at - from);
        at += part.length;
      }
      return out;
    };

    const take = (end: number, digest: Uint8Array) => {
      ready.push({ data: slice(chunkStart, end), digest: Sha256.fromBytes(digest) });
      chunkStart = end;
    };

    const release = () => void detach(slot, id);
    attach(slot, id, (m) => {
      if (m.t === "data") {
        const { start, len } = sent.shift()!;
        held.push({ buf: new Uint8Array(m.buf, 0, len), start });
        m.ends.forEach((end, i) => take(start + end, m.digests.subarray(i * 32, i * 32 + 32)));
      } else if (m.t === "end") {
        if (m.last > 0) take(chunkStart + m.last, m.lastDigest!);
        result = { size: streamPos, sha256: Sha256.fromBytes(m.sha256) };
        release();
      } else if (m.t === "error") {
        failure = new Error(m.message);
        release();
        drained();
      }
      wake();
    });

    async function pump(): Promise<void> {
      try {
        for await (const bytes of source) {
          for (let at = 0; at < bytes.length; ) {
            while (buffered >= window && !stopped && failure === undefined) await new Promise<void>((r) => (wakePump = r));
            if (stopped || failure !== undefined) return;
            const len = Math.min(pieceBytes, bytes.length - at);
            const buf = free.pop() ?? new ArrayBuffer(pieceBytes);
            new Uint8Array(buf, 0, len).set(bytes.subarray(at, at + len));
            sent.push({ start: streamPos, len });
            post({ t: "data", id, buf, len }, [buf]);
            streamPos += len;
            buffered += len;
            at += len;
          }
          if (stopped) return;
        }
        if (!stopped && failure === undefined) post({ t: "end", id });
      } catch (err) {
        failure ??= err;
        wake();
      }
    }

    post({ t: "open", id, chunking: so.chunking });
    return {
      batches: (async function* () {
        void pump(); // settles on its own: failures land in `failure`
        try {
          for (;;) {
            if (ready.length) {
              const out = ready;
              ready = [];
              for (const c of out) buffered -= c.data.length;
              yieldedEnd = chunkStart;
              drained();
              yield out;
            } else if (failure !== undefined) {
              throw failure;
            } else if (result) {
              return;
            } else {
              await new Promise<void>((r) => (wakeConsumer = r));
            }
          }
        } finally {
          if (!result) {
            stopped = true;
            drained();
            if (slot.streams.has(id)) post({ t: "close", id });
            release();
          }
        }
      })(),
      result() {
        if (!result || ready.length) throw new Error("content scan result read before the scan finished");
        return result;
      },
      release(upTo) {
        const limit = Math.min(upTo, yieldedEnd);
        while (held.length && held[0].start + held[0].buf.length <= limit) {
          const { buffer } = held.shift()!.buf;
          if (free.length < maxFree) free.push(buffer as ArrayBuffer);
        }
      },
    };
  };

  /**
   * Opens a fetched group's records on a worker. The bytes go there in their own buffer when they
   * fill it (moved, no copy), else as a copy. Plain raw records come back as views of the buffer
   * that returns, at their offsets; others back to back in new ones (plainLayout).
   */
  const open: GroupOpener = (ctx, bytes, start, locations) => {
    const buf = (ownsBuffer(bytes) ? bytes.buffer : Uint8Array.prototype.slice.call(bytes).buffer) as ArrayBuffer; // Buffer#slice is a view
    const views = locations.every(isPlainRaw)
      ? (bufs: ArrayBuffer[], n: number) => locations.slice(0, n).map((l) => new Uint8Array(bufs[0], l.offset - start, l.length))
      : (bufs: ArrayBuffer[], n: number) => {
          const { at } = plainLayout(locations.map((l) => l.plainSize));
          return locations.slice(0, n).map((l, i) => new Uint8Array(bufs[at[i].buf], at[i].offset, l.plainSize));
        };
    const slot = acquire();
    const id = nextId++;
    return new Promise<{ plain: Uint8Array[]; error?: unknown }>((resolve, reject) => {
      attach(slot, id, (m) => {
        detach(slot, id);
        if (m.t === "opened") resolve({ plain: views(m.bufs, locations.length) });
        else if (m.t === "failed") resolve({ plain: views(m.bufs, m.opened), error: m.name === "Other" ? new Error(m.message) : new DomainError(m.name, m.message, m.details) });
        else if (m.t === "error") reject(new Error(m.message));
      });
      try {
        slot.worker.postMessage({ t: "records", id, storeId: ctx.storeId, dataKey: ctx.dataKey, buf, start, ...toWireRecords(locations) } satisfies ToWorker, [buf]);
      } catch (err) {
        detach(slot, id);
        reject(err);
      }
    });
  };

  return {
    scan,
    open,
    async close() {
      closed = true;
      await Promise.all(slots.splice(0).map((s) => s.worker.terminate()));
    },
  };
}
