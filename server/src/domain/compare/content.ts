import { failedPrecondition, dataLoss } from "../errors.js";
import type { SnapshotUseCases } from "../snapshots/service.js";
import type { Snapshot } from "../snapshots/types.js";

/** Bytes read to guess what content is. */
export const SNIFF_BYTES = 8 * 1024;

/** A snapshot's content must be readable: soft-deleted snapshots keep metadata only. */
export function requireActive(s: Snapshot): void {
  if (s.state !== "ACTIVE") throw failedPrecondition(`snapshot ${s.id} is deleted; its content cannot be read`, "SNAPSHOT_DELETED");
}

/**
 * Reads the first `min(size, limit)` bytes of a snapshot into one buffer. Bytes are verified by the
 * content store before they arrive; a short stream is DATA_LOSS.
 */
export async function readPrefix(snapshots: SnapshotUseCases, s: Snapshot, limit: number, signal?: AbortSignal): Promise<Uint8Array> {
  const want = Math.min(s.size, limit);
  if (want <= 0) return new Uint8Array(0);
  const opened = await snapshots.openRange(s.storeId, s.id, 0, want, s);
  const out = new Uint8Array(want);
  let at = 0;
  for await (const piece of opened.stream(signal)) {
    const n = Math.min(piece.length, want - at);
    out.set(piece.subarray(0, n), at);
    at += n;
    if (at === want) break;
  }
  if (at !== want) throw dataLoss(`snapshot ${s.id} content ended after ${at} of ${want} bytes`);
  return out;
}

/**
 * True when `head` is UTF-8 without NUL bytes. When `complete` is false the head may end inside a
 * multi-byte character, which is allowed.
 */
export function looksLikeText(head: Uint8Array, complete: boolean): boolean {
  if (head.includes(0)) return false;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(head, { stream: !complete });
    return true;
  } catch {
    return false;
  }
}

const USTAR = [0x75, 0x73, 0x74, 0x61, 0x72]; // "ustar" at offset 257 (POSIX and GNU)

/** True when `head` starts with a ustar (POSIX or GNU) tar header. */
export function looksLikeTar(head: Uint8Array): boolean {
  return head.length >= 262 && USTAR.every((b, i) => head[257 + i] === b);
}
