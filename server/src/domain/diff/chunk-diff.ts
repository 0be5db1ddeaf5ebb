import { isDigestHex, type Sha256 } from "../digest.js";
import { dataLoss } from "../errors.js";

/** One chunk of a snapshot manifest: `length` bytes at `offset` whose SHA-256 is `digest`. */
export interface ManifestChunk {
  digest: Sha256 | string;
  offset: number;
  length: number;
}

export interface ByteRange {
  offset: number;
  length: number;
}

/** A range of the right snapshot whose bytes also occur, in the same order, at `fromOffset` on the left. */
export interface MovedRange extends ByteRange {
  fromOffset: number;
}

export interface ChunkDiff {
  /** Ranges of the right snapshot whose chunks do not occur anywhere on the left, merged when adjacent. */
  changedRanges: ByteRange[];
  /** Ranges of the left snapshot whose chunks do not occur anywhere on the right, merged when adjacent. */
  removedRanges: ByteRange[];
  /** Ranges of the right snapshot whose chunks occur on the left at another offset (content shifted). */
  movedRanges: MovedRange[];
  counts: {
    leftChunks: number;
    rightChunks: number;
    /** Right chunks with the same digest and length at the same offset on the left. */
    unchanged: number;
    /** Right chunks whose digest occurs on the left, but not at this offset. */
    moved: number;
    /** Right chunks whose digest does not occur on the left. */
    changed: number;
    /** Left chunks whose digest does not occur on the right. */
    removed: number;
  };
  /** Total length of `changedRanges`. */
  bytesChanged: number;
  /** Total length of `removedRanges`. */
  bytesRemoved: number;
  leftSize: number;
  rightSize: number;
}

const hexOf = (d: Sha256 | string) => (typeof d === "string" ? d : d.toHex());

/**
 * Checks that a manifest covers [0, size) with contiguous chunks of positive length and valid
 * digests; anything else is a corrupt manifest (DataLoss). Returns the digests as hex.
 */
function checkManifest(side: string, chunks: readonly ManifestChunk[]): string[] {
  let next = 0;
  return chunks.map((c, i) => {
    const hex = hexOf(c.digest);
    if (!isDigestHex(hex)) throw dataLoss(`${side} manifest chunk ${i} has an invalid digest`);
    if (!Number.isSafeInteger(c.length) || c.length <= 0) throw dataLoss(`${side} manifest chunk ${i} has an invalid length`);
    if (c.offset !== next) throw dataLoss(`${side} manifest chunk ${i} starts at ${c.offset}, expected ${next}`);
    next += c.length;
    return hex;
  });
}

function pushRange(ranges: ByteRange[], offset: number, length: number): void {
  const last = ranges[ranges.length - 1];
  if (last && last.offset + last.length === offset) last.length += length;
  else ranges.push({ offset, length });
}

/**
 * Chunk-level change summary of two snapshots from their manifests alone, without reading any
 * chunk: like EBS ListChangedBlocks, but content-addressed, so a chunk that occurs on both sides
 * at different offsets (content shifted by an insertion) counts as moved, not changed. Runs in
 * time linear in the number of chunks.
 */
export function diffChunks(left: readonly ManifestChunk[], right: readonly ManifestChunk[]): ChunkDiff {
  const lHex = checkManifest("left", left);
  const rHex = checkManifest("right", right);

  const leftOffsets = new Map<string, number[]>();
  lHex.forEach((h, i) => {
    const list = leftOffsets.get(h);
    if (list) list.push(left[i].offset);
    else leftOffsets.set(h, [left[i].offset]);
  });
  const leftAt = new Map<number, { hex: string; length: number }>();
  lHex.forEach((h, i) => leftAt.set(left[i].offset, { hex: h, length: left[i].length }));
  const rightDigests = new Set(rHex);

  const counts = { leftChunks: left.length, rightChunks: right.length, unchanged: 0, moved: 0, changed: 0, removed: 0 };
  const changedRanges: ByteRange[] = [];
  const movedRanges: MovedRange[] = [];
  right.forEach((c, i) => {
    const hex = rHex[i];
    const same = leftAt.get(c.offset);
    if (same && same.hex === hex && same.length === c.length) {
      counts.unchanged++;
      return;
    }
    const offsets = leftOffsets.get(hex);
    if (!offsets) {
      counts.changed++;
      pushRange(changedRanges, c.offset, c.length);
      return;
    }
    counts.moved++;
    const last = movedRanges[movedRanges.length - 1];
    const continues = last && last.offset + last.length === c.offset;
    const next = continues ? leftAt.get(last.fromOffset + last.length) : undefined;
    if (next && next.hex === hex) last.length += c.length;
    else movedRanges.push({ offset: c.offset, length: c.length, fromOffset: offsets[0] });
  });

  const removedRanges: ByteRange[] = [];
  left.forEach((c, i) => {
    if (rightDigests.has(lHex[i])) return;
    counts.removed++;
    pushRange(removedRanges, c.offset, c.length);
  });

  const sum = (rs: ByteRange[]) => rs.reduce((n, r) => n + r.length, 0);
  const size = (cs: readonly ManifestChunk[]) => (cs.length === 0 ? 0 : cs[cs.length - 1].offset + cs[cs.length - 1].length);
  return {
    changedRanges,
    removedRanges,
    movedRanges,
    counts,
    bytesChanged: sum(changedRanges),
    bytesRemoved: sum(removedRanges),
    leftSize: size(left),
    rightSize: size(right),
  };
}
