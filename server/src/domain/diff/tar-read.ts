import tar from "tar-stream";
import { createHasher, type Sha256 } from "../digest.js";
import { failedPrecondition, isDomainError } from "../errors.js";

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

export interface ReadTarOptions {
  /** Members up to this size keep their bytes in `content` (default 1 MiB; 0 keeps none). */
  keepContentBytes?: number;
  /** More members than this fail with FailedPrecondition TAR_TOO_MANY_MEMBERS (default 100000). */
  maxMembers?: number;
}

/**
 * Reads every member of an uncompressed tar archive held in memory (tar-stream). A name that
 * occurs twice keeps its last entry, as extraction would. Members come back sorted by name.
 * Fails with FailedPrecondition INVALID_TAR when the bytes are not a readable tar archive.
 */
export async function readTar(bytes: Uint8Array, opts: ReadTarOptions = {}): Promise<TarMember[]> {
  const keep = opts.keepContentBytes ?? 1024 * 1024;
  const maxMembers = opts.maxMembers ?? 100_000;
  const members = new Map<string, TarMember>();
  if (bytes.length === 0) return [];
  const extract = tar.extract();
  const reading = (async () => {
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
  })();
  extract.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  try {
    await reading;
  } catch (e) {
    if (isDomainError(e)) throw e;
    throw failedPrecondition("snapshot content is not a readable tar archive", "INVALID_TAR");
  }
  return [...members.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * A regular file member's content as text when it is valid UTF-8 without NUL bytes and was kept in memory;
 * undefined otherwise (binary, or too large to diff as text).
 */
export function memberText(m: TarMember): string | undefined {
  if (m.type !== "file" && m.type !== "contiguous-file") return undefined;
  return m.content ? decodeText(m.content) : undefined;
}

/** Strict UTF-8 decoding without NUL bytes; undefined for anything that is not such text. */
export function decodeText(bytes: Uint8Array): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
