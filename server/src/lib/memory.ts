/**
 * Explicit garbage collection at three phase boundaries, where it returns memory V8 would otherwise
 * hold for a long time. Needs `--expose-gc`, which `npm start` passes; without it both do nothing.
 */
type ExposedGc = (options?: { type: "major"; execution: "sync"; flavor?: "last-resort" }) => void;

const exposedGc = (): ExposedGc | undefined => {
  const gc = (globalThis as { gc?: ExposedGc }).gc;
  return typeof gc === "function" ? gc : undefined;
};

const mib = (n: number) => Math.round(n / 1048576);

/**
 * Returns start-up garbage to the OS before the server takes traffic. Loading the modules,
 * running migrations and building the services leaves the V8 heap with about 40 MB more committed
 * than it keeps live, and V8 gives that back only after its memory reducer notices an idle period,
 * seconds later, or never under immediate load. One memory-reducing full GC ("last resort":
 * compacts and releases free pages) measured RSS 139 -> 93 MiB.
 */
export function releaseStartupMemory(): { rssBeforeMiB: number; rssAfterMiB: number } | undefined {
  const gc = exposedGc();
  if (gc === undefined) return undefined;
  const before = process.memoryUsage.rss();
  gc({ type: "major", execution: "sync", flavor: "last-resort" });
  return { rssBeforeMiB: mib(before), rssAfterMiB: mib(process.memoryUsage.rss()) };
}

/** Ingests at least this large collect garbage between streaming and committing. */
export const LARGE_INGEST_BYTES = 256 * 1024 * 1024;

/**
 * Frees what a streaming phase left behind. V8 collects buffers outside its heap once ~64 MB of
 * them have piled up, so a large ingest ends with up to that much dead buffer memory; the commit
 * that follows allocates on the JS heap only and never triggers that collection, so without this
 * the dead buffers and the commit's garbage add up (a 4 GiB upload's peak RSS). One full GC,
 * tens of milliseconds, once per large ingest.
 */
export function collectAfterStreaming(): void {
  exposedGc()?.({ type: "major", execution: "sync" });
}

/** Chunk lists at least this long collect garbage between looking them up and reading them back. */
export const LARGE_COMMIT_CHUNKS = 16_384;

/**
 * Frees what looking up a long chunk list left behind (CommitSnapshot's decoded request, index
 * rows and their maps) before the content is read back, which adds buffer garbage of its own on
 * top. Measured with 55,000 chunks: peak RSS 294 -> 258 MiB for the commit; 382 -> 354 MiB for
 * a whole 2 GiB incremental SDK upload.
 */
export function collectBeforeReadBack(): void {
  exposedGc()?.({ type: "major", execution: "sync" });
}
