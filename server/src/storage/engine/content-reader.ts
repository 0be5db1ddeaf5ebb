/**
 * Reads and verifies a snapshot's content through its manifest: chunk locations come from the
 * index in batches, chunks from packs with read-ahead. Every chunk is hash-checked before any of
 * its bytes are yielded.
 */
import { type Sha256, createHasher } from "../../domain/digest.js";
import { dataLoss, isDomainError } from "../../domain/errors.js";
import type { ChunkIndex } from "./chunk-index.js";
import { type ChunkPiece, type ChunkReader, type ReadInOrderOptions, isChunkFrame } from "./chunk-reader.js";
import { openRecord } from "./chunk-record.js";
import { type Manifest, type ManifestEntry, locateRange } from "./manifest.js";
import { orderedPool } from "./ordered-pool.js";
import type { ChunkLocation } from "./types.js";

export interface ContentDeps {
  storeId: string;
  index: ChunkIndex;
  reader: ChunkReader;
}

/**
 * Index lookups per round trip: the first batch is small and each next one twice as large, up to
 * the maximum, so a read whose consumer stops early (a stalled download) has looked up, and holds,
 * only a few locations, and a long read soon uses full batches.
 */
const FIRST_LOOKUP_BATCH = 32;
const LOOKUP_BATCH = 512;

/** Each entry with its indexed location (undefined when missing), looked up in batches. */
async function* lookupAll(
  deps: ContentDeps,
  entries: readonly ManifestEntry[],
): AsyncGenerator<{ e: ManifestEntry; loc: ChunkLocation | undefined }> {
  for (let i = 0, batch = FIRST_LOOKUP_BATCH; i < entries.length; i += batch, batch = Math.min(LOOKUP_BATCH, batch * 2)) {
    const slice = entries.slice(i, i + batch);
    const found = await deps.index.lookup(deps.storeId, slice.map((e) => e.digest));
    for (const e of slice) yield { e, loc: found.get(e.digest.toHex()) };
  }
}

/** Why `loc` cannot serve entry `e`, or undefined when it can. */
function mismatch(e: ManifestEntry, loc: ChunkLocation | undefined): string | undefined {
  if (loc === undefined) return "chunk is not in the chunk index";
  if (loc.plainSize !== e.size) return `chunk has size ${loc.plainSize} in the index, ${e.size} in the manifest`;
  return undefined;
}

/** Locations of `entries` in order; a missing or inconsistent one is DATA_LOSS. */
async function* locate(deps: ContentDeps, entries: readonly ManifestEntry[]): AsyncGenerator<ChunkLocation> {
  for await (const { e, loc } of lookupAll(deps, entries)) {
    const why = mismatch(e, loc);
    if (why !== undefined) throw dataLoss(`chunk ${e.digest.toHex()}: ${why}`);
    yield loc!;
  }
}

/**
 * The chunks that bytes [offset, offset + length) of the content fall in, as `read` gives them for
 * their locations (looked up in order; none outside the range), each with the part of its
 * plaintext the range takes, [from, to): all of it but in the first and last chunk.
 */
async function* rangeParts<P>(
  deps: ContentDeps,
  manifest: Manifest,
  offset: number,
  length: number,
  read: (locations: AsyncIterable<ChunkLocation>) => AsyncIterable<P>,
): AsyncGenerator<{ piece: P; from: number; to: number; size: number }> {
  const span = locateRange(manifest, offset, length);
  if (span.first === span.end) return;
  let i = span.first;
  for await (const piece of read(locate(deps, manifest.entries.slice(span.first, span.end)))) {
    const size = manifest.entries[i].size;
    yield { piece, from: i === span.first ? span.startInFirst : 0, to: i === span.end - 1 ? span.endInLast : size, size };
    i++;
  }
}

/**
 * Yields bytes [offset, offset + length) of the content (clipped to its end) without touching
 * chunks outside the range. Offset past the end: OUT_OF_RANGE. Corruption: DATA_LOSS, raised
 * before any byte of the bad chunk is yielded.
 */
export async function* readContentRange(
  deps: ContentDeps,
  manifest: Manifest,
  offset: number,
  length: number,
  options?: ReadInOrderOptions,
): AsyncGenerator<Uint8Array> {
  for await (const { piece, from, to, size } of rangeParts(deps, manifest, offset, length, (l) => deps.reader.readInOrder(l, options))) {
    yield from === 0 && to === size ? piece : piece.subarray(from, to);
  }
}

/**
 * readContentRange for a reader that decodes zstd frames itself (ChunkReader.readFramesInOrder):
 * whole chunks stored as zstd come as frames, everything else as verified plaintext. A chunk that
 * the range cuts (its first or last) is always plaintext: it is decoded and verified here.
 */
export async function* readContentFrames(
  deps: ContentDeps,
  manifest: Manifest,
  offset: number,
  length: number,
  options?: ReadInOrderOptions,
): AsyncGenerator<ChunkPiece> {
  for await (const { piece, from, to, size } of rangeParts(deps, manifest, offset, length, (l) => deps.reader.readFramesInOrder(l, options))) {
    if (from === 0 && to === size) {
      yield piece;
      continue;
    }
    const plain = isChunkFrame(piece) ? openRecord(piece.frame, { ...piece.location, encrypted: false }, { storeId: deps.storeId }) : piece;
    yield plain.subarray(from, to);
  }
}

export interface VerifyProblem {
  subject: string;
  message: string;
}

/**
 * Re-reads every chunk and checks it, then the content size and SHA-256 against `expected`.
 * Reports every problem instead of stopping at the first; an empty list means healthy.
 * Failures other than data loss (e.g. storage unavailable) are thrown.
 */
export async function verifyContent(
  deps: ContentDeps,
  manifest: Manifest,
  expected: { size: number; sha256: Sha256 },
  opts: { concurrency?: number; onProgress?: (bytesChecked: number) => void; signal?: AbortSignal } = {},
): Promise<{ bytesChecked: number; problems: VerifyProblem[] }> {
  const problems: VerifyProblem[] = [];
  const hasher = createHasher();
  let bytesChecked = 0;
  const results = orderedPool(lookupAll(deps, manifest.entries), opts.concurrency ?? 4, async ({ e, loc }) => {
    const why = mismatch(e, loc);
    if (why !== undefined) return { e, error: why };
    try {
      return { e, plain: await deps.reader.read(loc!) };
    } catch (err) {
      if (isDomainError(err, "DataLoss")) return { e, error: err.message };
      throw err;
    }
  });
  for await (const r of results) {
    opts.signal?.throwIfAborted();
    if (r.plain !== undefined) {
      hasher.update(r.plain);
      bytesChecked += r.plain.length;
    } else {
      problems.push({ subject: `chunk ${r.e.digest.toHex()}`, message: r.error! });
    }
    opts.onProgress?.(bytesChecked);
  }
  if (problems.length === 0) {
    if (manifest.size !== expected.size) {
      problems.push({ subject: "content", message: `size is ${manifest.size}, expected ${expected.size}` });
    } else if (!hasher.digest().equals(expected.sha256)) {
      problems.push({ subject: "content", message: "SHA-256 of the content does not match" });
    }
  }
  return { bytesChecked, problems };
}
