/**
 * Reads chunks back from packs. Every chunk is decrypted (when encrypted), decoded and checked
 * against its SHA-256 before it is returned: any mismatch or decode failure is DATA_LOSS naming
 * the chunk, so wrong bytes are never returned.
 */
import { hash } from "node:crypto";
import { dataLoss, failedPrecondition } from "../../domain/errors.js";
import type { BlobStore } from "../blob/blob-store.js";
import { decryptChunk } from "./chunk-crypto.js";
import { decodeChunk } from "./codec.js";
import { orderedPool } from "./ordered-pool.js";
import { packKey } from "./pack-format.js";
import { readExact } from "./pack-reader.js";
import type { ChunkLocation } from "./types.js";

export interface ChunkReaderOptions {
  blobStore: BlobStore;
  storeId: string;
  /** The store's unwrapped data key; required to read encrypted chunks. */
  dataKey?: Uint8Array;
  /**
   * Opens fetched groups that hold compressed or encrypted records off the event loop
   * (readInOrder); default, and for groups of plain raw records: on the event loop.
   */
  decodeGroup?: GroupDecoder;
  /**
   * Checks fetched groups of plain raw records off the event loop, in place: used when the fetched
   * bytes fill a buffer of their own, which moves to the checker and back (no copy). Otherwise
   * such groups are checked on the event loop.
   */
  verifyGroup?: GroupVerifier;
}

export interface ReadInOrderOptions {
  /** Ranged reads in flight; default 4. */
  concurrency?: number;
  /**
   * Neighbouring records of one pack are fetched with a single ranged read when the span and the
   * total plaintext stay within this many bytes (default 4 MiB); records up to `maxGapBytes`
   * apart (default 64 KiB) still count as neighbours.
   */
  maxSpanBytes?: number;
  maxGapBytes?: number;
  signal?: AbortSignal;
}

export interface ChunkReader {
  /** The verified plaintext of one chunk. */
  read(location: ChunkLocation): Promise<Uint8Array>;
  /**
   * Verified plaintext chunks in the order of `locations`, with read-ahead. In-flight memory is
   * bounded by about concurrency × maxSpanBytes of stored bytes.
   */
  readInOrder(
    locations: Iterable<ChunkLocation> | AsyncIterable<ChunkLocation>,
    options?: ReadInOrderOptions,
  ): AsyncGenerator<Uint8Array>;
}

/** Consecutive locations served by one ranged read of [start, end) of a pack. */
interface ReadGroup {
  packId: string;
  start: number;
  end: number;
  locations: ChunkLocation[];
}

async function* groupLocations(
  locations: Iterable<ChunkLocation> | AsyncIterable<ChunkLocation>,
  maxSpan: number,
  maxGap: number,
): AsyncGenerator<ReadGroup> {
  let g: ReadGroup | undefined;
  let plain = 0;
  for await (const l of locations) {
    const end = l.offset + l.length;
    if (
      g !== undefined &&
      l.packId === g.packId &&
      l.offset >= g.start &&
      l.offset <= g.end + maxGap &&
      Math.max(g.end, end) - g.start <= maxSpan &&
      plain + l.plainSize <= maxSpan
    ) {
      g.end = Math.max(g.end, end);
      g.locations.push(l);
      plain += l.plainSize;
      continue;
    }
    if (g !== undefined) yield g;
    g = { packId: l.packId, start: l.offset, end, locations: [l] };
    plain = l.plainSize;
  }
  if (g !== undefined) yield g;
}

/**
 * Decrypts (when encrypted), decodes (a zstd chunk into `into` when given) and verifies one stored
 * record: the chunk's plaintext, or DATA_LOSS naming the chunk, or FAILED_PRECONDITION when the
 * chunk is encrypted and no key is at hand. Pure: the scan worker runs it too.
 */
export function openRecord(record: Uint8Array, l: ChunkLocation, ctx: { storeId: string; dataKey?: Uint8Array }, into?: Uint8Array): Uint8Array {
  if (l.encrypted && ctx.dataKey === undefined) {
    throw failedPrecondition(`chunk ${l.digest.toHex()} is encrypted but no data key is available`, "DATA_KEY_REQUIRED");
  }
  let plain: Uint8Array;
  try {
    const encoded = l.encrypted ? decryptChunk(ctx.dataKey!, record, { storeId: ctx.storeId, digest: l.digest, codec: l.codec }) : record;
    plain = decodeChunk(l.codec, encoded, l.plainSize, into);
  } catch (e) {
    throw dataLoss(`chunk ${l.digest.toHex()} in pack ${l.packId} is corrupt: it does not decrypt or decode`, e);
  }
  // One-shot: no Hash object per chunk (its native context lives until a GC).
  if (!hash("sha256", plain, "buffer").equals(l.digest.bytes)) {
    throw dataLoss(`chunk ${l.digest.toHex()} in pack ${l.packId} is corrupt: content hash mismatch`);
  }
  return plain;
}

/**
 * Opens the records of a fetched group (`bytes` holds the pack from offset `start`) somewhere
 * other than the event loop: the plaintexts in order, or those before the first record that
 * failed and openRecord's error for it.
 */
export type GroupDecoder = (
  ctx: { storeId: string; dataKey?: Uint8Array },
  bytes: Uint8Array,
  start: number,
  locations: ChunkLocation[],
) => Promise<{ plain: Uint8Array[]; error?: unknown }>;

/**
 * Checks the plain raw records of a fetched group (`bytes` holds the pack from offset `start` and
 * fills its own buffer, which the verifier takes: it is unusable afterwards) somewhere other than
 * the event loop: the records as views of the buffer that comes back, or those before the first
 * that failed and the error for it.
 */
export type GroupVerifier = (
  storeId: string,
  bytes: Uint8Array,
  start: number,
  locations: ChunkLocation[],
) => Promise<{ plain: Uint8Array[]; error?: unknown }>;

/** Whether `b` is the whole of its buffer (so the buffer can move to another thread). */
const ownsBuffer = (b: Uint8Array) => b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer;

export function createChunkReader(opts: ChunkReaderOptions): ChunkReader {
  const { blobStore, storeId, dataKey } = opts;
  const ctx = { storeId, dataKey };
  const open = (record: Uint8Array, l: ChunkLocation, into?: Uint8Array) => openRecord(record, l, ctx, into);

  const fetch = (packId: string, offset: number, length: number, what: string) =>
    readExact(blobStore, packKey(storeId, packId), offset, length, what);

  return {
    async read(l) {
      const hex = l.digest.toHex();
      return open(await fetch(l.packId, l.offset, l.length, `chunk ${hex} in pack ${l.packId}`), l);
    },

    async *readInOrder(locations, o = {}) {
      const maxSpan = o.maxSpanBytes ?? 4 * 1024 * 1024;
      const maxGap = o.maxGapBytes ?? 64 * 1024;
      const groups = groupLocations(locations, maxSpan, maxGap);
      const fetched = orderedPool(groups, o.concurrency ?? 4, async (g) => {
        const what = `chunks ${g.locations[0].digest.toHex()}.. in pack ${g.packId}`;
        const bytes = await fetch(g.packId, g.start, g.end - g.start, what);
        const heavy = g.locations.some((l) => l.encrypted || l.codec !== "raw");
        if (heavy && opts.decodeGroup) return { g, bytes, plain: await opts.decodeGroup(ctx, bytes, g.start, g.locations) };
        // Plain raw records only need their hash: checked in place on a worker when the buffer can
        // move there; else here (a copy and a thread hop cost more than the hash).
        if (!heavy && opts.verifyGroup && ownsBuffer(bytes)) return { g, bytes, plain: await opts.verifyGroup(storeId, bytes, g.start, g.locations) };
        return { g, bytes, plain: undefined };
      });
      for await (const { g, bytes, plain: opened } of fetched) {
        if (opened) {
          for (const p of opened.plain) {
            o.signal?.throwIfAborted();
            yield p;
          }
          if (opened.error !== undefined) throw opened.error;
          continue;
        }
        // A group's zstd chunks decode back to back into one buffer and its plain raw chunks are
        // views of the fetched bytes, so neighbouring chunks come out as adjacent views of one
        // buffer (which a consumer may merge, see coalesceViews) instead of a buffer each.
        const zstdBytes = g.locations.reduce((n, l) => n + (l.codec === "zstd" ? l.plainSize : 0), 0);
        const decoded = zstdBytes > 0 ? Buffer.allocUnsafe(zstdBytes + 1) : undefined;
        let used = 0;
        for (const l of g.locations) {
          o.signal?.throwIfAborted();
          const at = l.offset - g.start;
          const into = l.codec === "zstd" ? decoded!.subarray(used) : undefined;
          const plain = open(bytes.subarray(at, at + l.length), l, into);
          if (into !== undefined) used += l.plainSize;
          yield plain;
        }
      }
    },
  };
}
