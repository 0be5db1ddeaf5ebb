import type { ManifestEntryLike, ManifestSource } from "./types.js";

interface ManifestLoader {
  loadManifest(storeId: string, contentRef: string): Promise<{ entries: readonly ManifestEntryLike[] } | undefined>;
}

/**
 * The ManifestSource of a content store: its own `manifestOf`, or `loadManifest(storeId,
 * contentRef)` (the chunk engine's), or undefined for a store that keeps no manifests.
 */
export function manifestSourceOf(content: object): ManifestSource | undefined {
  const c = content as Partial<ManifestSource> & Partial<ManifestLoader>;
  if (typeof c.manifestOf === "function") return { manifestOf: (s) => c.manifestOf!(s) };
  if (typeof c.loadManifest === "function") return { manifestOf: (s) => c.loadManifest!(s.storeId, s.contentRef) };
  return undefined;
}
