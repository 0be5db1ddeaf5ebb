/**
 * Reads chunks back from packs. Every chunk is decrypted (when encrypted), decoded and checked
 * against its SHA-256 before it is returned: any mismatch or decode failure is DATA_LOSS naming
 * the chunk, so wrong bytes are never returned.
 */
import type { BlobStore } from "../blob/blob-store.js";
import { isPlainRaw, openRecord } from "./chunk-record.js";
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
   * Opens fetched groups off the event loop (readInOrder): every group that holds compressed or
   * encrypted records, and a group of plain raw records when the fetched bytes fill a buffer of
   * their own (it moves there and back with no copy; otherwise a copy and a thread hop cost more
   * than the hash). Default: everything on the event loop.
   */
  openGroup?: GroupOpener;
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
 * Opens the records of a fetched group (`bytes` holds the pack from offset `start`) somewhere
 * other than the event loop: the plaintexts in order, or those before the first record that
 * failed and openRecord's error for it. A group of plain raw records is checked in place and its
 * plaintexts are views of the bytes; when `bytes` fills its own buffer, that buffer moves to the
 * opener and back with no copy, and `bytes` is unusable afterwards.
 */
export type GroupOpener = (
  ctx: { storeId: string; dataKey?: Uint8Array },
  bytes: Uint8Array,
  start: number,
  locations: ChunkLocation[],
) => Promise<{ plain: Uint8Array[]; error?: unknown }>;

/** Whether `b` is the whole of its buffer (so the buffer can move to another thread). */
export const ownsBuffer = (b: Uint8Array) => b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer;

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
        if (opts.openGroup && (!g.locations.every(isPlainRaw) || ownsBuffer(bytes))) {
          return { g, opened: await opts.openGroup(ctx, bytes, g.start, g.locations) };
        }
        return { g, bytes };
      });
      for await (const { g, bytes, opened } of fetched) {
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
          const plain = open(bytes!.subarray(at, at + l.length), l, into);
          if (into !== undefined) used += l.plainSize;
          yield plain;
        }
      }
    },
  };
}
