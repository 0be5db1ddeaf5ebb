import { chunkStream, type ChunkerOptions } from "../../../../sdk/src/chunking/fastcdc.js";
import { digestOf } from "../digest.js";
import { diffChunks, type ChunkDiff, type ManifestChunk } from "../diff/index.js";
import type { Snapshot } from "../snapshots/types.js";
import type { ManifestEntryLike, ManifestSource } from "./types.js";

/** Manifest entries (digest, size) as offset-addressed chunks. */
export function toManifestChunks(entries: readonly ManifestEntryLike[]): ManifestChunk[] {
  let offset = 0;
  return entries.map((e) => {
    const c = { digest: e.digest, offset, length: e.size };
    offset += e.size;
    return c;
  });
}

/**
 * Chunks a content stream with FastCDC (the chunk engine's algorithm) and hashes each chunk, for
 * content that has no stored manifest. Memory: one chunk at a time.
 */
export async function computeManifestChunks(source: AsyncIterable<Uint8Array>, chunking?: Partial<ChunkerOptions>): Promise<ManifestChunk[]> {
  const out: ManifestChunk[] = [];
  let offset = 0;
  for await (const chunk of chunkStream(source, chunking)) {
    out.push({ digest: digestOf(chunk), offset, length: chunk.length });
    offset += chunk.length;
  }
  return out;
}

export interface ChunkSummaryDeps {
  manifests?: ManifestSource;
  /** Streams a snapshot's whole content (used only when a manifest is missing). */
  stream(s: Snapshot, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>>;
  chunking?: Partial<ChunkerOptions>;
}

/** True when both snapshots have stored manifests, so a summary reads no content. */
export async function manifestsAvailable(deps: Pick<ChunkSummaryDeps, "manifests">, left: Snapshot, right: Snapshot): Promise<boolean> {
  if (!deps.manifests) return false;
  const [l, r] = await Promise.all([deps.manifests.manifestOf(left), deps.manifests.manifestOf(right)]);
  return l !== undefined && r !== undefined;
}

/**
 * The chunk-level change summary of two snapshots. With stored manifests for both, no content is
 * read. Otherwise both sides are chunked from their content (so the digests are comparable).
 */
export async function chunkSummary(deps: ChunkSummaryDeps, left: Snapshot, right: Snapshot, signal?: AbortSignal): Promise<ChunkDiff> {
  const [lm, rm] = deps.manifests
    ? await Promise.all([deps.manifests.manifestOf(left), deps.manifests.manifestOf(right)])
    : [undefined, undefined];
  if (lm && rm) return diffChunks(toManifestChunks(lm.entries), toManifestChunks(rm.entries));
  const [lc, rc] = await Promise.all(
    [left, right].map(async (s) => computeManifestChunks(await deps.stream(s, signal), deps.chunking)),
  );
  return diffChunks(lc, rc);
}
