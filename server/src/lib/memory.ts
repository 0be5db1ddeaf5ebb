/**
 * Explicit garbage collection at three phase boundaries, and at intervals during a long commit,
 * where it returns memory V8 would otherwise hold for a long time. Needs `--expose-gc`, which
 * `npm start` passes; without it they do nothing.
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
 * CommitSnapshot chunk lists at least this long collect garbage between the lookups and the
 * read-back, and during both (`collectDuringCommitLookups`, `collectDuringCommitReadBack`).
 */
export const LARGE_COMMIT_CHUNKS = 16_384;

/**
 * One full GC (tens of milliseconds) where a phase that left much garbage ends and one that makes
 * its own begins, so the two do not add up:
 * - after a large ingest's streaming, before its commit. V8 collects buffers outside its heap once
 *   ~64 MB of them have piled up, so streaming ends with up to that much dead buffer memory, and
 *   the commit, which allocates on the JS heap only, never triggers that collection (a 4 GiB
 *   upload's peak RSS);
 * - after CommitSnapshot looked up a long chunk list (its decoded request, index rows and their
 *   maps), before the content is read back (55,000 chunks: peak RSS 294 -> 258 MiB; a 2 GiB
 *   incremental SDK upload 382 -> 354 MiB).
 */
export function collectBetweenPhases(): void {
  exposedGc()?.({ type: "major", execution: "sync" });
}

/**
 * For a long phase on the event loop whose garbage piles up in V8's old generation faster than V8
 * collects it (a long CommitSnapshot: its index lookups, then the read-back of its content): call
 * the returned function with the work done (chunks, bytes), and `collect` (a full GC by default)
 * runs each time another `every` units have passed (docs/performance.md, "Memory", has what it
 * saves).
 */
export function periodicCollector(every: number, collect: () => void = collectBetweenPhases): (done: number) => void {
  let since = 0;
  return (done) => {
    since += done;
    if (since < every) return;
    since = 0;
    collect();
  };
}

/**
 * Long commits' lookups report the chunks they looked up here: one full GC per 40,000, counted
 * across the process, so concurrent commits share the collections instead of each adding its own.
 */
export const collectDuringCommitLookups = periodicCollector(40_000);

/** Long commits' read-backs report the bytes they read back here: one full GC per 512 MiB, process-wide. */
export const collectDuringCommitReadBack = periodicCollector(512 * 1024 * 1024);
