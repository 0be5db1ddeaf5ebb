import tar from "tar-stream";
import { failedPrecondition, isDomainError } from "../errors.js";
import { collectTarMembers, sortedByName, type TarMember } from "./tar-members.js";

export type { TarMember } from "./tar-members.js";

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
  const reading = collectTarMembers(extract, members, { keepContentBytes: keep, maxMembers });
  extract.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  try {
    await reading;
  } catch (e) {
    if (isDomainError(e)) throw e;
    throw failedPrecondition("snapshot content is not a readable tar archive", "INVALID_TAR");
  }
  return sortedByName(members);
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
