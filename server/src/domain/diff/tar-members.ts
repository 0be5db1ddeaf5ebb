import type { Extract } from "tar-stream";
import { createHasher, type Sha256 } from "../digest.js";
import { failedPrecondition } from "../errors.js";

/** One member of a tar archive. */
export interface TarMember {
  name: string;
  /** tar-stream entry type: "file", "directory", "symlink", "link", ... */
  type: string;
  size: number;
  mode: number;
  mtime?: Date;
  linkname?: string;
  /** SHA-256 of the member's content (of zero bytes for entries without content). */
  digest: Sha256;
  /** The content, kept only for members of at most `keepContentBytes` bytes. */
  content?: Uint8Array;
}

export interface CollectTarOptions {
  /** Members up to this size keep their bytes in `content`; undefined keeps no content at all. */
  keepContentBytes?: number;
  /** More members than this fail with FailedPrecondition TAR_TOO_MANY_MEMBERS; unlimited by default. */
  maxMembers?: number;
}

/**
 * Reads every entry a tar-stream extractor yields into `members`, hashing content as it streams
 * by. A name that occurs twice keeps its last entry, as extraction would. Each member is added as
 * soon as it has been read whole, so a caller that stops early or sees the parser fail still has
 * the members read so far. Rejects with the parser's error, or TAR_TOO_MANY_MEMBERS.
 */
export async function collectTarMembers(extract: Extract, members: Map<string, TarMember>, opts: CollectTarOptions = {}): Promise<void> {
  const keep = opts.keepContentBytes ?? -1; // -1: not even empty members get `content`
  const maxMembers = opts.maxMembers ?? Infinity;
  for await (const entry of extract) {
    const h = entry.header;
    const hasher = createHasher();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of entry as AsyncIterable<Buffer>) {
      hasher.update(chunk);
      size += chunk.length;
      if (size <= keep) chunks.push(chunk);
    }
    members.set(h.name, {
      name: h.name,
      type: h.type ?? "file",
      size,
      mode: h.mode ?? 0,
      mtime: h.mtime,
      ...(h.linkname ? { linkname: h.linkname } : {}),
      digest: hasher.digest(),
      ...(size <= keep ? { content: new Uint8Array(Buffer.concat(chunks)) } : {}),
    });
    if (members.size > maxMembers) {
      throw failedPrecondition(`tar archive has more than ${maxMembers} members`, "TAR_TOO_MANY_MEMBERS");
    }
  }
}

/** The members sorted by name (code unit order). */
export function sortedByName(members: Map<string, TarMember>): TarMember[] {
  return [...members.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
