import type { Sha256 } from "../digest.js";
import type { ChunkDiff, CompareResult, ContentKind, DiffFormat } from "../diff/index.js";
import type { Snapshot, SnapshotType } from "../snapshots/types.js";

/** A requested output format: the engine formats plus the chunk-level summary. */
export type CompareFormat = DiffFormat | "CHUNKS";
export const COMPARE_FORMATS: readonly CompareFormat[] = ["JSON", "UNIFIED", "WORD", "HTML", "CHUNKS"];

/** What the compared content was read as. */
export type CompareKind = ContentKind | "binary";

/** Why a comparison answered with a chunk summary. */
export type ChunkSummaryReason = "requested" | "binary" | "too_large";

/** Options as the transport receives them; validated by `validateCompareRequest`. */
export interface CompareRequestOptions {
  /** Unset means the engine default (3). */
  context?: number;
  ignorePaths: readonly string[];
  arrayMatchKey: readonly string[];
}

/** A validated comparison request. Plain JSON, so it doubles as the COMPARE_SNAPSHOTS job params. */
export interface CompareRequest {
  storeId: string;
  leftSnapshotId: string;
  rightSnapshotId: string;
  format: CompareFormat;
  options: CompareRequestOptions;
}

/** The diff itself: an engine result, or a chunk summary with the reason it was chosen. */
export type CompareBody =
  | CompareResult
  | { format: "CHUNKS"; kind: CompareKind; chunks: ChunkDiff; reason: ChunkSummaryReason };

/** The outcome of comparing two snapshots. */
export interface SnapshotComparison {
  left: Snapshot;
  right: Snapshot;
  /** The contents are byte for byte the same (equal SHA-256). */
  sameContent: boolean;
  body: CompareBody;
}

/** One entry of a chunk manifest, as the content store keeps it. */
export interface ManifestEntryLike {
  digest: Sha256 | string;
  size: number;
}

/**
 * Port: the chunk manifest of a snapshot's content, so chunk summaries need no content reads.
 * Returns undefined when the content store keeps no manifest for it (chunks are then computed by
 * reading the content).
 */
export interface ManifestSource {
  manifestOf(snapshot: Snapshot): Promise<{ entries: readonly ManifestEntryLike[] } | undefined>;
}

/** The bytes a comparison is stored as, for job output snapshots. */
export interface EncodedComparison {
  bytes: Uint8Array;
  mediaType: string;
  snapshotType: Extract<SnapshotType, "JSON" | "BLOB">;
}

/** Port: renders a comparison to bytes (the transport owns the wire format of results). */
export type ComparisonEncoder = (c: SnapshotComparison) => EncodedComparison;

/** Size limits of comparisons, in bytes of both snapshots together. */
export interface CompareLimits {
  /** Above this, CompareSnapshots answers with a job instead of the result. */
  syncMaxBytes: number;
  /** Above this, content is not loaded into memory; the answer is a chunk summary. */
  maxInMemoryBytes: number;
}
