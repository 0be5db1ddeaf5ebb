import { once } from "node:events";
import tar from "tar-stream";
import { collectTarMembers, sortedByName, type TarMember } from "../diff/tar-members.js";
import { failedPrecondition } from "../errors.js";

export interface TarScan {
  /** Members sorted by name; a name that occurs twice keeps its last entry, as extraction would. */
  members: TarMember[];
  /** False when the scan stopped at `maxScanBytes` before the end of the archive. */
  complete: boolean;
}

/**
 * Lists the members of a tar archive from a byte stream (tar-stream), keeping no content: memory
 * stays bounded whatever the archive size. Stops after `maxScanBytes` bytes and returns the
 * members seen whole by then. Fails with FailedPrecondition INVALID_TAR when the bytes are not a
 * readable tar archive.
 */
export async function scanTarMembers(source: AsyncIterable<Uint8Array>, opts: { maxScanBytes: number; signal?: AbortSignal }): Promise<TarScan> {
  const extract = tar.extract();
  const members = new Map<string, TarMember>();
  const reading = collectTarMembers(extract, members);
  // A failed parse must not leave the writer waiting for "drain" forever.
  const failed = reading.then(
    () => "done" as const,
    () => "failed" as const,
  );
  let fed = 0;
  let complete = true;
  for await (const piece of source) {
    opts.signal?.throwIfAborted();
    if (fed + piece.length > opts.maxScanBytes) {
      complete = false;
      break;
    }
    fed += piece.length;
    if (!extract.write(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength))) {
      const drained = once(extract, "drain").then(
        () => "drain" as const,
        () => "failed" as const,
      );
      if ((await Promise.race([drained, failed])) !== "drain") break;
    }
  }
  // Ending (rather than destroying) lets the parser finish what was written; a cut archive then
  // fails with "unexpected end", which only matters when the scan was meant to be complete.
  extract.end(undefined);
  try {
    await reading;
  } catch {
    if (complete) throw failedPrecondition("snapshot content is not a readable tar archive", "INVALID_TAR");
  }
  return { members: sortedByName(members), complete };
}
