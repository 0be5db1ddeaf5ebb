/**
 * Reads chunks back from packs. Every chunk is decrypted (when encrypted), decoded and checked
 * against its SHA-256 before it is returned: any mismatch or decode failure is DATA_LOSS naming
 * the chunk, so wrong bytes are never returned.
 */
import type { BlobStore } from "../blob/blob-store.js";
import { isPlainRaw, openFrame, openRecord } from "./chunk-record.js";
import { type BufferBudget, createBufferBudget } from "../../lib/buffer-budget.js";
import { freeBuffer } from "../../lib/free-buffer.js";
import { readAhead } from "./read-ahead.js";
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
  /** The buffer budget that read-ahead counts against (read-ahead.ts); default unlimited. */
  budget?: BufferBudget;
}

export interface ReadInOrderOptions {
  /** Ranged reads in flight at most; default 4. */
  concurrency?: number;
  /**
   * Neighbouring records of one pack are fetched with a single ranged read when the span and the
   * total plaintext stay within this many bytes (default 4 MiB) and within what the read-ahead
   * allows at that point (it starts at READ_AHEAD_MIN_BYTES); records up to `maxGapBytes` apart
   * (default 64 KiB) still count as neighbours.
   */
  maxSpanBytes?: number;
  maxGapBytes?: number;
  /**
   * Read-ahead to start with, before the consumer has taken anything; default READ_AHEAD_MIN_BYTES.
   * A consumer that never stalls (a hash over the content) may start at the maximum.
   */
  startAheadBytes?: number;
  signal?: AbortSignal;
}

export interface ChunkReader {
  /** The verified plaintext of one chunk. */
  read(location: ChunkLocation): Promise<Uint8Array>;
  /**
   * Verified plaintext chunks in the order of `locations`, with read-ahead paced by the consumer
   * (read-ahead.ts): from READ_AHEAD_MIN_BYTES up to concurrency × maxSpanBytes of stored bytes as
   * the consumer keeps up, counted against the budget.
   */
  readInOrder(
    locations: Iterable<ChunkLocation> | AsyncIterable<ChunkLocation>,
    options?: ReadInOrderOptions,
  ): AsyncGenerator<Uint8Array>;
  /**
   * As readInOrder, but a chunk stored as zstd comes as its frame (openFrame: decrypted, not
   * decoded or hash-checked) for a reader that decodes and verifies it itself; other chunks come
   * verified, as their plaintext. Everything is opened on the event loop: decryption is the only
   * work left, and the bytes are a fraction of the plaintext.
   */
  readFramesInOrder(
    locations: Iterable<ChunkLocation> | AsyncIterable<ChunkLocation>,
    options?: ReadInOrderOptions,
  ): AsyncGenerator<ChunkPiece>;
}

/** A chunk as readFramesInOrder gives it: its verified plaintext, or its zstd frame and location. */
export type ChunkPiece = Uint8Array | ChunkFrame;
export interface ChunkFrame {
  frame: Uint8Array;
  location: ChunkLocation;
}
export const isChunkFrame = (p: ChunkPiece): p is ChunkFrame => !(p instanceof Uint8Array);

/** Consecutive locations served by one ranged read of [start, end) of a pack. */
interface ReadGroup {
  packId: string;
  start: number;
  end: number;
  locations: ChunkLocation[];
}

/** Groups neighbouring locations; each group's span and plaintext stay within `maxSpan()` as of its first location. */
async function* groupLocations(
  locations: Iterable<ChunkLocation> | AsyncIterable<ChunkLocation>,
  maxSpan: () => number,
  maxGap: number,
): AsyncGenerator<ReadGroup> {
  let g: ReadGroup | undefined;
  let plain = 0;
  let limit = 0;
  for await (const l of locations) {
    const end = l.offset + l.length;
    if (
      g !== undefined &&
      l.packId === g.packId &&
      l.offset >= g.start &&
      l.offset <= g.end + maxGap &&
      Math.max(g.end, end) - g.start <= limit &&
      plain + l.plainSize <= limit
    ) {
      g.end = Math.max(g.end, end);
      g.locations.push(l);
      plain += l.plainSize;
      continue;
    }
    if (g !== undefined) yield g;
    g = { packId: l.packId, start: l.offset, end, locations: [l] };
    plain = l.plainSize;
    limit = maxSpan();
  }
  if (g !== undefined) yield g;
}

/** Read-ahead a read starts with, and keeps while its consumer takes nothing (read-ahead.ts). */
export const READ_AHEAD_MIN_BYTES = 64 * 1024;
/** A consumer that takes nothing for this long gives its read-ahead back (read-ahead.ts). */
export const READ_AHEAD_SHED_MS = 1000;

/** Budget bytes a group holds: its fetched bytes, plus the buffer its records decode into unless they are plain raw. */
const groupCost = (g: ReadGroup) =>
  g.end - g.start + (g.locations.every(isPlainRaw) ? 0 : g.locations.reduce((n, l) => n + l.plainSize, 0));

/** A fetched group: its bytes (to open here) or its records opened elsewhere. */
interface Fetched {
  g: ReadGroup;
  bytes?: Uint8Array;
  opened?: { plain: Uint8Array[]; error?: unknown };
}

/** Frees the buffers of a fetched group nobody will read. */
function dropFetched(f: Fetched): void {
  if (f.bytes) freeBuffer(f.bytes);
  let last: ArrayBufferLike | undefined;
  for (const p of f.opened?.plain ?? []) {
    if (p.buffer !== last) freeBuffer(new Uint8Array(p.buffer));
    last = p.buffer;
  }
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

/** The plaintexts of a group opened elsewhere, then the error that stopped it, if any. */
function* openedPieces(opened: { plain: Uint8Array[]; error?: unknown }, signal?: AbortSignal): Generator<Uint8Array> {
  for (const p of opened.plain) {
    signal?.throwIfAborted();
    yield p;
  }
  if (opened.error !== undefined) throw opened.error;
}

/** Whether `b` is the whole of its buffer (so the buffer can move to another thread). */
export const ownsBuffer = (b: Uint8Array) => b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer;

export function createChunkReader(opts: ChunkReaderOptions): ChunkReader {
  const { blobStore, storeId, dataKey } = opts;
  const budget = opts.budget ?? createBufferBudget(Number.MAX_SAFE_INTEGER);
  const ctx = { storeId, dataKey };
  const open = (record: Uint8Array, l: ChunkLocation, into?: Uint8Array) => openRecord(record, l, ctx, into);

  const fetch = (packId: string, offset: number, length: number, what: string) =>
    readExact(blobStore, packKey(storeId, packId), offset, length, what);

  /** Groups `locations` and fetches the groups with read-ahead (read-ahead.ts); `done` turns a group's bytes into a result. */
  function fetchGroups(
    locations: Iterable<ChunkLocation> | AsyncIterable<ChunkLocation>,
    o: ReadInOrderOptions,
    cost: (g: ReadGroup) => number,
    done: (g: ReadGroup, bytes: Uint8Array) => Promise<Fetched>,
  ): AsyncGenerator<Fetched> {
    const maxSpan = o.maxSpanBytes ?? 4 * 1024 * 1024;
    const maxGap = o.maxGapBytes ?? 64 * 1024;
    const concurrency = o.concurrency ?? 4;
    return readAhead<ReadGroup, Fetched>((room) => groupLocations(locations, () => Math.min(maxSpan, room()), maxGap), {
      concurrency,
      minAheadBytes: Math.min(o.startAheadBytes ?? READ_AHEAD_MIN_BYTES, concurrency * maxSpan),
      maxAheadBytes: concurrency * maxSpan,
      budget,
      cost,
      drop: dropFetched,
      shedAfterMs: READ_AHEAD_SHED_MS,
      signal: o.signal,
      fetch: async (g) => {
        const what = `chunks ${g.locations[0].digest.toHex()}.. in pack ${g.packId}`;
        return done(g, await fetch(g.packId, g.start, g.end - g.start, what));
      },
    });
  }

  return {
    async read(l) {
      const hex = l.digest.toHex();
      return open(await fetch(l.packId, l.offset, l.length, `chunk ${hex} in pack ${l.packId}`), l);
    },

    async *readInOrder(locations, o = {}) {
      const fetched = fetchGroups(locations, o, groupCost, async (g, bytes) => {
        if (opts.openGroup && (!g.locations.every(isPlainRaw) || ownsBuffer(bytes))) {
          return { g, opened: await opts.openGroup(ctx, bytes, g.start, g.locations) };
        }
        return { g, bytes };
      });
      for await (const { g, bytes, opened } of fetched) {
        if (opened) {
          yield* openedPieces(opened, o.signal);
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

    async *readFramesInOrder(locations, o = {}) {
      const noFrames = (g: ReadGroup) => g.locations.every((l) => l.codec !== "zstd");
      // Budget: a group without frames as readInOrder counts it; else the fetched bytes, and as
      // much again for decrypted records.
      const cost = (g: ReadGroup) => (noFrames(g) ? groupCost(g) : 2 * (g.end - g.start));
      const fetched = fetchGroups(locations, o, cost, async (g, bytes) =>
        noFrames(g) && opts.openGroup && (!g.locations.every(isPlainRaw) || ownsBuffer(bytes))
          ? { g, opened: await opts.openGroup(ctx, bytes, g.start, g.locations) }
          : { g, bytes },
      );
      for await (const { g, bytes, opened } of fetched) {
        if (opened) {
          yield* openedPieces(opened, o.signal);
          continue;
        }
        for (const l of g.locations) {
          o.signal?.throwIfAborted();
          const record = bytes!.subarray(l.offset - g.start, l.offset - g.start + l.length);
          yield l.codec === "zstd" ? { frame: openFrame(record, l, ctx), location: l } : open(record, l);
        }
      }
    },
  };
}
