/**
 * Groups chunk records into pack objects (format in pack-format.ts) and writes them to a
 * BlobStore under packKey(storeId, packId), with a random 128-bit hex pack id.
 *
 * Streaming: a pack's put starts with its first record and takes each 1 MiB segment as soon as it
 * is full, so the bytes are mostly written by the time the pack is; what is left when it is full is
 * its last segment, index, footer and fsync. Under a busy event loop every step of a put waits for
 * a turn of the loop, and writing a whole pack only once it was full left `add` waiting for the
 * previous pack about a fifth of the time.
 *
 * Memory: records are copied into the filling pack's segments; the writer holds the filling pack
 * plus, until its put resolves, the previous one (the BlobStore may keep the chunks it pulled
 * until then), that second pack only when the buffer budget has room for it. A written pack's
 * segments are reused (a few) or freed at once. When the filling pack is full while the previous
 * one is still finishing, `add` waits (backpressure). Copying
 * records into segments (rather than keeping thousands of small record buffers per pack) keeps
 * the C heap from fragmenting and lets the caller's buffers go as soon as `add` returns.
 * Durability: a pack's locations are reported (to `onDurable`, and by `finish`) only after its
 * `put` resolved, so callers insert them into the chunk index only once the bytes are durable.
 */
import { randomBytes } from "node:crypto";
import type { Sha256 } from "../../domain/digest.js";
import type { BudgetGrant, BufferBudget } from "../../lib/buffer-budget.js";
import { freeBuffer } from "../../lib/free-buffer.js";
import type { BlobStore } from "../blob/blob-store.js";
import {
  PACK_FOOTER_BYTES,
  encodePackFooter,
  encodePackHeader,
  encodePackIndex,
  packKey,
} from "./pack-format.js";
import type { ChunkLocation, Codec } from "./types.js";

/** Default pack size target; packs are cut before a record would push them past it. */
export const DEFAULT_PACK_TARGET_BYTES = 32 * 1024 * 1024;
/** Accepted target range. 16..64 MiB is right for GCS; smaller values exist for tests and tools. */
export const PACK_TARGET_LIMITS = Object.freeze({ min: 4 * 1024, max: 256 * 1024 * 1024 });

/** A stored chunk record to place in a pack. */
export interface PackRecord {
  digest: Sha256;
  codec: Codec;
  encrypted: boolean;
  plainSize: number;
  /** The stored bytes; copied by `add` before it first awaits, so the caller may reuse them then. */
  data: Uint8Array;
}

export interface FlushedPack {
  packId: string;
  key: string;
  /** Pack object size in bytes. */
  size: number;
  locations: ChunkLocation[];
}

export interface PackWriter {
  /** Adds a record, waiting while a full pack cannot start writing yet. Calls must not overlap. */
  add(record: PackRecord): Promise<void>;
  /**
   * Writes the partly filled pack, waits for every write, and returns the packs written since
   * creation or the previous `finish`, all durable. Rethrows the first write failure.
   */
  finish(): Promise<FlushedPack[]>;
  /**
   * Drops buffered records, waits for a running write, and deletes (best effort) the packs
   * written since the last `finish`, which nothing can reference yet.
   */
  abort(): Promise<void>;
}

export interface PackWriterOptions {
  blobStore: BlobStore;
  storeId: string;
  /** Pack size target in bytes; default DEFAULT_PACK_TARGET_BYTES. */
  targetBytes?: number;
  /** Cancels writes in progress. */
  signal?: AbortSignal;
  /**
   * Called with each pack as soon as it is durable, before the next pack is written (a rejection
   * fails the writer like a failed write). Typically indexes the pack's chunks at once, so a long
   * ingest does not hold every location until it ends. Once called, the pack belongs to the
   * caller, who may have published it: `abort` no longer deletes it (the hook cleans up after its
   * own failure), and `finish` reports it with its locations released (empty). The next pack is
   * already streaming to its put meanwhile; it is not ended before the hook has settled.
   */
  onDurable?: (pack: FlushedPack) => Promise<void>;
  /**
   * Memory for a second pack. A pack fills while the previous one is still being written only when
   * this budget grants another `targetBytes` at once (held until the previous one is durable);
   * otherwise `add` first waits for the previous pack, so one pack is in memory. The first pack is
   * the caller's to account for. Without a budget two packs are always allowed.
   */
  budget?: BufferBudget;
}

/** Packs are assembled in segments of this size, so memory follows what a pack holds so far. */
const SEGMENT_BYTES = 1024 * 1024;
/** Segments of written packs kept for the next pack; the rest are freed at once. */
const FREE_SEGMENTS = 4;

export const newPackId = (): string => randomBytes(16).toString("hex");

export function createPackWriter(opts: PackWriterOptions): PackWriter {
  const target = opts.targetBytes ?? DEFAULT_PACK_TARGET_BYTES;
  if (!Number.isInteger(target) || target < PACK_TARGET_LIMITS.min || target > PACK_TARGET_LIMITS.max) {
    throw new RangeError(`pack target must be ${PACK_TARGET_LIMITS.min}..${PACK_TARGET_LIMITS.max} bytes`);
  }
  packKey(opts.storeId, "0".repeat(32)); // validates the store id as a key segment

  /** The pack being filled: its put starts with the first record and takes segments as they fill. */
  interface Filling {
    packId: string;
    key: string;
    segs: Buffer[]; // SEGMENT_BYTES each: header and records so far (kept until the put resolves)
    size: number;
    sent: number; // segments handed to the put
    tail?: Uint8Array[]; // the last, partial segment, the index and the footer, once the pack is full
    stop?: unknown; // ends the body with this error (abort)
    wake?: () => void;
    put: Promise<void>;
  }
  let filling: Filling | undefined;
  const free: Buffer[] = []; // segments of written packs, for reuse (at most FREE_SEGMENTS)
  let entries: ChunkLocation[] = [];
  let writing: Promise<void> = Promise.resolve(); // the previous pack: its tail, fsync, onDurable
  let finishing = false; // `writing` has not settled yet
  let failure: { error: unknown } | undefined;
  let busy = false;
  const written: FlushedPack[] = []; // since the last finish
  const unreported: string[] = []; // keys of packs started since the last finish

  /** Frees a segment this writer allocated and no longer lends to a running write. */
  const release = (b: Buffer) => freeBuffer(b);
  const recycle = (done: Buffer[]) => {
    for (const b of done) {
      if (free.length < FREE_SEGMENTS) free.push(b);
      else release(b);
    }
  };

  /** The pack's bytes for its put: full segments as they fill, then the tail once it is known. */
  async function* body(f: Filling) {
    for (;;) {
      if (f.stop !== undefined) throw f.stop;
      if (f.sent < Math.floor(f.size / SEGMENT_BYTES)) {
        yield f.segs[f.sent++];
      } else if (f.tail) {
        yield* f.tail;
        return;
      } else {
        await new Promise<void>((r) => (f.wake = r));
      }
    }
  }

  function start(): Filling {
    const packId = newPackId();
    const key = packKey(opts.storeId, packId);
    unreported.push(key);
    const f: Filling = { packId, key, segs: [], size: 0, sent: 0, put: Promise.resolve() };
    f.put = opts.blobStore.put(key, body(f), { ifAbsent: true, signal: opts.signal }).then(() => undefined);
    // A put that fails while the pack is still filling fails the next add.
    f.put.catch((error: unknown) => void (failure ??= { error }));
    return f;
  }

  /** Ends the filling pack's body with `reason` and forgets the pack. */
  const stopFilling = (reason: unknown): Filling | undefined => {
    const f = filling;
    filling = undefined;
    entries = [];
    if (f) {
      f.stop = reason;
      wake(f);
    }
    return f;
  };

  const throwIfFailed = () => {
    if (failure) throw failure.error;
  };

  const wake = (f: Filling) => {
    f.wake?.();
    f.wake = undefined;
  };

  /** Copies `data` to the end of the filling pack, adding segments as needed. */
  function append(f: Filling, data: Uint8Array): void {
    for (let at = 0; at < data.length; ) {
      const off = f.size % SEGMENT_BYTES;
      if (off === 0 && f.size / SEGMENT_BYTES === f.segs.length) f.segs.push(free.pop() ?? Buffer.allocUnsafe(SEGMENT_BYTES));
      const n = Math.min(SEGMENT_BYTES - off, data.length - at);
      f.segs[f.segs.length - 1].set(data.subarray(at, at + n), off);
      f.size += n;
      at += n;
    }
    if (f.sent < Math.floor(f.size / SEGMENT_BYTES)) wake(f); // only a completed segment is news to the body
  }

  /**
   * Waits for the previous pack, then ends the filling one (its tail goes to its put) without
   * waiting for it: at most two packs are in memory, one finishing and one filling.
   */
  async function rotate(): Promise<void> {
    await writing;
    throwIfFailed();
    const f = filling;
    if (!f) return;
    const packEntries = entries;
    filling = undefined;
    entries = [];
    const index = encodePackIndex(packEntries);
    const footer = encodePackFooter(f.size, index);
    const last = f.size % SEGMENT_BYTES > 0 ? [f.segs[f.segs.length - 1].subarray(0, f.size % SEGMENT_BYTES)] : [];
    f.tail = [...last, index, footer];
    wake(f);
    const done: FlushedPack = { packId: f.packId, key: f.key, size: f.size + index.length + PACK_FOOTER_BYTES, locations: packEntries };
    finishing = true;
    writing = f.put
      .then(async () => {
        recycle(f.segs); // the blob store is done with them
        if (opts.onDurable) {
          unreported.splice(unreported.indexOf(done.key), 1); // handed over, whatever the hook does
          await opts.onDurable(done);
          done.locations = [];
        }
        written.push(done);
      })
      .catch((error: unknown) => void (failure ??= { error }))
      .then(() => void (finishing = false));
  }

  /**
   * Whether a pack may start filling while another one is finishing: always without a budget, else
   * when it grants the memory, which is held until the finishing pack's `writing` settles.
   */
  function secondPackAllowed(): { grant?: BudgetGrant } | undefined {
    if (!opts.budget) return {};
    const grant = opts.budget.tryAcquire(target);
    return grant && { grant };
  }

  return {
    async add(record) {
      if (busy) throw new Error("PackWriter.add calls must not overlap");
      busy = true;
      try {
        throwIfFailed();
        const full = entries.length > 0 && filling!.size + record.data.length > target;
        // A pack that starts while another is finishing (the one ended now, or an earlier one) is a
        // second pack in memory.
        const second = (full || (!filling && finishing)) ? secondPackAllowed() : {};
        // Copy first: the caller may reuse record.data once this awaits.
        const data = full || !second ? Uint8Array.from(record.data) : record.data;
        if (full) await rotate();
        if (second?.grant) {
          const grant = second.grant;
          void writing.then(() => grant.release());
        }
        if (!second) await writing; // no memory for a second pack: the previous one finishes first
        throwIfFailed(); // a put may have failed while this waited
        if (!filling) {
          filling = start();
          append(filling, encodePackHeader());
        }
        const offset = filling.size;
        append(filling, data);
        entries.push({
          packId: filling.packId,
          digest: record.digest,
          offset,
          length: data.length,
          plainSize: record.plainSize,
          codec: record.codec,
          encrypted: record.encrypted,
        });
        if (filling.size >= target) await rotate();
      } finally {
        busy = false;
      }
    },

    async finish() {
      try {
        await rotate();
        await writing;
        throwIfFailed();
      } catch (err) {
        stopFilling(err); // its put must not wait for a body that will never end
        throw err;
      }
      free.splice(0).forEach(release); // the next add allocates afresh
      unreported.length = 0;
      return written.splice(0);
    },

    async abort() {
      const f = stopFilling(new Error("pack writer aborted")); // the put fails and leaves no object
      // A failed put's segments are left to the GC: the store may still hold them (a network
      // stream), so they are not detached.
      await f?.put.catch(() => undefined);
      await writing;
      free.splice(0).forEach(release);
      written.length = 0;
      const keys = unreported.splice(0);
      await Promise.all(keys.map((k) => opts.blobStore.delete(k).catch(() => undefined)));
    },
  };
}
