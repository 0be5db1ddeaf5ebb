/**
 * Groups chunk records into pack objects (format in pack-format.ts) and writes them to a
 * BlobStore under packKey(storeId, packId), with a random 128-bit hex pack id.
 *
 * Memory: two pack buffers of `targetBytes`, allocated once per writer and reused: records are
 * copied into the filling one while the other is being written. When the filling pack is full
 * while the previous one is still being written, `add` waits (backpressure). Copying every record
 * into a long-lived buffer (rather than keeping thousands of small record buffers per pack) keeps
 * the C heap from fragmenting and lets the caller's buffers go as soon as `add` returns.
 * Durability: a pack's locations are reported (by `finish`) only after its `put` resolved, so
 * callers insert them into the chunk index only once the bytes are durable.
 */
import { randomBytes } from "node:crypto";
import type { Sha256 } from "../../domain/digest.js";
import type { BlobStore } from "../blob/blob-store.js";
import {
  PACK_FOOTER_BYTES,
  PACK_HEADER_BYTES,
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
}

export const newPackId = (): string => randomBytes(16).toString("hex");

export function createPackWriter(opts: PackWriterOptions): PackWriter {
  const target = opts.targetBytes ?? DEFAULT_PACK_TARGET_BYTES;
  if (!Number.isInteger(target) || target < PACK_TARGET_LIMITS.min || target > PACK_TARGET_LIMITS.max) {
    throw new RangeError(`pack target must be ${PACK_TARGET_LIMITS.min}..${PACK_TARGET_LIMITS.max} bytes`);
  }
  packKey(opts.storeId, "0".repeat(32)); // validates the store id as a key segment

  let buf: Buffer | undefined; // the filling pack: header and records so far
  let spare: Buffer | undefined; // a pack buffer whose write has finished
  let entries: ChunkLocation[] = []; // packId is filled in when the pack is written
  let size = PACK_HEADER_BYTES;
  let writing: Promise<void> = Promise.resolve();
  let failure: { error: unknown } | undefined;
  let busy = false;
  const written: FlushedPack[] = []; // since the last finish
  const unreported: string[] = []; // keys of packs started since the last finish

  /**
   * Frees a pack buffer now rather than at the next full GC (which streaming can put off by tens of
   * megabytes): detaching the ArrayBuffer releases its memory at once. Only for buffers this writer
   * allocated and no longer lends to a running write.
   */
  const release = (b: Buffer | undefined) => {
    if (b === undefined || b.byteOffset !== 0 || b.buffer.byteLength !== b.length) return; // pooled: not ours alone
    try {
      (b.buffer as { transfer?(length: number): ArrayBuffer }).transfer?.(0);
    } catch {
      // not detachable on this runtime: the GC frees it later
    }
  };

  /** A buffer for a new pack that will hold at least `need` bytes: the spare when it fits. */
  function packBuffer(need: number): Buffer {
    const cap = Math.max(target, need);
    const b = spare !== undefined && spare.length >= cap ? spare : Buffer.allocUnsafe(cap);
    if (b === spare) spare = undefined;
    b.set(encodePackHeader(), 0);
    return b;
  }

  async function write(pack: Buffer, packEntries: ChunkLocation[], indexOffset: number): Promise<FlushedPack> {
    const packId = newPackId();
    for (const e of packEntries) e.packId = packId; // one object per chunk: no copies
    const key = packKey(opts.storeId, packId);
    const index = encodePackIndex(packEntries);
    const footer = encodePackFooter(indexOffset, index);
    unreported.push(key);
    async function* body() {
      yield pack.subarray(0, indexOffset);
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
    if (entries.length === 0 || buf === undefined) return;
    const pack = buf;
    const job = write(pack, entries, size);
    buf = undefined;
    entries = [];
    size = PACK_HEADER_BYTES;
    writing = job.then(
      (done) => {
        written.push(done);
        if (spare !== undefined) release(spare); // an older spare nobody took
        spare = pack; // the blob store is done with it
      },
      (error: unknown) => void (failure ??= { error }),
    );
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
        buf ??= packBuffer(PACK_HEADER_BYTES + data.length);
        buf.set(data, size);
        entries.push({
          packId: "",
          digest: record.digest,
          offset: size,
          length: record.data.length,
          plainSize: record.plainSize,
          codec: record.codec,
          encrypted: record.encrypted,
        });
        size += data.length;
        if (size >= target) await rotate();
      } finally {
        busy = false;
      }
    },

    async finish() {
      await rotate();
      await writing;
      release(spare); // the next add allocates afresh
      spare = undefined;
      if (failure) throw failure.error;
      unreported.length = 0;
      return written.splice(0);
    },

    async abort() {
      release(buf);
      buf = undefined;
      entries = [];
      size = PACK_HEADER_BYTES;
      await writing;
      release(spare);
      spare = undefined;
      written.length = 0;
      const keys = unreported.splice(0);
      await Promise.all(keys.map((k) => opts.blobStore.delete(k).catch(() => undefined)));
    },
  };
}
