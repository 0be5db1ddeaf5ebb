/**
 * Groups chunk records into pack objects (format in pack-format.ts) and writes them to a
 * BlobStore under packKey(storeId, packId), with a random 128-bit hex pack id.
 *
 * Memory: records are copied into 1 MiB segments of the filling pack, so the writer holds what the
 * filling pack holds so far plus, while it is being written, the previous pack; a written pack's
 * segments are reused (a few) or freed at once. When the filling pack is full while the previous
 * one is still being written, `add` waits (backpressure). Copying records into segments (rather
 * than keeping thousands of small record buffers per pack) keeps the C heap from fragmenting and
 * lets the caller's buffers go as soon as `add` returns.
 * Durability: a pack's locations are reported (to `onDurable`, and by `finish`) only after its
 * `put` resolved, so callers insert them into the chunk index only once the bytes are durable.
 */
import { randomBytes } from "node:crypto";
import type { Sha256 } from "../../domain/digest.js";
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
   * caller, who may have published it: `abort` no longer deletes it (reclaim removes it if nothing
   * comes to reference it), and `finish` reports it with its locations released (empty).
   */
  onDurable?: (pack: FlushedPack) => Promise<void>;
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

  let segs: Buffer[] = []; // the filling pack, SEGMENT_BYTES each: header and records so far
  const free: Buffer[] = []; // segments of written packs, for reuse (at most FREE_SEGMENTS)
  let entries: ChunkLocation[] = []; // packId is filled in when the pack is written
  let size = 0; // bytes in the filling pack
  let writing: Promise<void> = Promise.resolve();
  let failure: { error: unknown } | undefined;
  let busy = false;
  const written: FlushedPack[] = []; // since the last finish
  const unreported: string[] = []; // keys of packs started since the last finish

  /**
   * Frees a segment now rather than at the next full GC (which streaming can put off by tens of
   * megabytes): detaching the ArrayBuffer releases its memory at once. Only for segments this
   * writer allocated and no longer lends to a running write.
   */
  const release = (b: Buffer) => {
    if (b.byteOffset !== 0 || b.buffer.byteLength !== b.length) return; // pooled: not ours alone
    try {
      (b.buffer as { transfer?(length: number): ArrayBuffer }).transfer?.(0);
    } catch {
      // not detachable on this runtime: the GC frees it later
    }
  };
  const recycle = (done: Buffer[]) => {
    for (const b of done) {
      if (free.length < FREE_SEGMENTS) free.push(b);
      else release(b);
    }
  };

  /** Copies `data` to the end of the filling pack, adding segments as needed. */
  function append(data: Uint8Array): void {
    for (let at = 0; at < data.length; ) {
      const off = size % SEGMENT_BYTES;
      if (off === 0 && size / SEGMENT_BYTES === segs.length) segs.push(free.pop() ?? Buffer.allocUnsafe(SEGMENT_BYTES));
      const n = Math.min(SEGMENT_BYTES - off, data.length - at);
      segs[segs.length - 1].set(data.subarray(at, at + n), off);
      size += n;
      at += n;
    }
  }

  async function write(pack: Buffer[], packEntries: ChunkLocation[], indexOffset: number): Promise<FlushedPack> {
    const packId = newPackId();
    for (const e of packEntries) e.packId = packId; // one object per chunk: no copies
    const key = packKey(opts.storeId, packId);
    const index = encodePackIndex(packEntries);
    const footer = encodePackFooter(indexOffset, index);
    unreported.push(key);
    async function* body() {
      for (let i = 0; i < pack.length; i++) yield pack[i].subarray(0, Math.min(SEGMENT_BYTES, indexOffset - i * SEGMENT_BYTES));
      yield index;
      yield footer;
    }
    await opts.blobStore.put(key, body(), { ifAbsent: true, signal: opts.signal });
    const packSize = indexOffset + index.length + PACK_FOOTER_BYTES;
    return { packId, key, size: packSize, locations: packEntries };
  }

  /** Waits for the running write, then starts writing the filled pack without waiting for it. */
  async function rotate(): Promise<void> {
    await writing;
    if (failure) throw failure.error;
    if (entries.length === 0) return;
    const pack = segs;
    const job = write(pack, entries, size);
    segs = [];
    entries = [];
    size = 0;
    writing = job.then(
      async (done) => {
        recycle(pack); // the blob store is done with them
        if (opts.onDurable) {
          unreported.splice(unreported.indexOf(done.key), 1); // handed over, whatever the hook does
          await opts.onDurable(done);
          done = { ...done, locations: [] };
        }
        written.push(done);
      },
      (error: unknown) => void (failure ??= { error }),
    ).catch((error: unknown) => void (failure ??= { error }));
  }

  return {
    async add(record) {
      if (busy) throw new Error("PackWriter.add calls must not overlap");
      busy = true;
      try {
        if (failure) throw failure.error;
        // Copy first: the caller may reuse record.data once this awaits.
        const full = entries.length > 0 && size + record.data.length > target;
        const data = full ? Uint8Array.from(record.data) : record.data;
        if (full) await rotate();
        if (size === 0) append(encodePackHeader());
        const offset = size;
        append(data);
        entries.push({
          packId: "",
          digest: record.digest,
          offset,
          length: data.length,
          plainSize: record.plainSize,
          codec: record.codec,
          encrypted: record.encrypted,
        });
        if (size >= target) await rotate();
      } finally {
        busy = false;
      }
    },

    async finish() {
      await rotate();
      await writing;
      free.splice(0).forEach(release); // the next add allocates afresh
      if (failure) throw failure.error;
      unreported.length = 0;
      return written.splice(0);
    },

    async abort() {
      const dropped = segs;
      segs = [];
      entries = [];
      size = 0;
      await writing;
      dropped.forEach(release);
      free.splice(0).forEach(release);
      written.length = 0;
      const keys = unreported.splice(0);
      await Promise.all(keys.map((k) => opts.blobStore.delete(k).catch(() => undefined)));
    },
  };
}
