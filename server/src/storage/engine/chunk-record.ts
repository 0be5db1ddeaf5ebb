/**
 * A stored chunk record, both ways: `addChunkRecord` builds one into a pack, `openRecord` opens
 * one read back (on the event loop or on a content worker).
 */
import { hash } from "node:crypto";
import type { Sha256 } from "../../domain/digest.js";
import { dataLoss, failedPrecondition } from "../../domain/errors.js";
import { decryptChunk, encryptChunk } from "./chunk-crypto.js";
import { type EncodeOptions, type EncodedChunk, decodeChunk, encodeChunk } from "./codec.js";
import { zstdFrameLength } from "../../../../sdk/src/node/zstd-context.js";
import type { PackWriter } from "./pack-writer.js";
import type { ChunkLocation } from "./types.js";

/**
 * Encodes a chunk (unless it comes encoded), encrypts it when a data key is given, and adds the
 * record to the pack writer. Returns the stored size. Every writer of new chunks (ingest, chunk
 * uploads, repack) goes through here, so a record is always built the same way.
 */
export async function addChunkRecord(
  writer: PackWriter,
  chunk: { digest: Sha256; plainSize: number; plain?: Uint8Array; encoded?: EncodedChunk },
  o: { storeId: string; dataKey?: Uint8Array; encode: EncodeOptions },
): Promise<number> {
  const e = chunk.encoded ?? encodeChunk(chunk.plain!, o.encode);
  const data = o.dataKey ? encryptChunk(o.dataKey, e.data, { storeId: o.storeId, digest: chunk.digest, codec: e.codec }) : e.data;
  await writer.add({ digest: chunk.digest, codec: e.codec, encrypted: o.dataKey !== undefined, plainSize: chunk.plainSize, data });
  return data.length;
}

/** Whether a record is stored as its plaintext (neither compressed nor encrypted): opening it is only its hash check. */
export const isPlainRaw = (l: Pick<ChunkLocation, "codec" | "encrypted">): boolean => !l.encrypted && l.codec === "raw";

/**
 * Decrypts (when encrypted), decodes (a zstd chunk into `into` when given) and verifies one stored
 * record: the chunk's plaintext, or DATA_LOSS naming the chunk, or FAILED_PRECONDITION when the
 * chunk is encrypted and no key is at hand. Pure: the content workers run it too.
 */
export function openRecord(record: Uint8Array, l: ChunkLocation, ctx: { storeId: string; dataKey?: Uint8Array }, into?: Uint8Array): Uint8Array {
  const encoded = unsealRecord(record, l, ctx);
  let plain: Uint8Array;
  try {
    plain = decodeChunk(l.codec, encoded, l.plainSize, into);
  } catch (e) {
    throw dataLoss(`chunk ${l.digest.toHex()} in pack ${l.packId} is corrupt: it does not decode`, e);
  }
  // One-shot: no Hash object per chunk (its native context lives until a GC).
  if (!hash("sha256", plain, "buffer").equals(l.digest.bytes)) {
    throw dataLoss(`chunk ${l.digest.toHex()} in pack ${l.packId} is corrupt: content hash mismatch`);
  }
  return plain;
}

/**
 * The zstd frame of one stored zstd record, decrypted when encrypted (AES-GCM authenticates it
 * against the chunk's digest) but not decoded, for a client that decodes and verifies it itself
 * (DownloadSnapshot's accept_frames). The frame must be structurally whole (zstdFrameLength), which
 * costs a walk over its block headers, not a decode. DATA_LOSS naming the chunk otherwise.
 */
export function openFrame(record: Uint8Array, l: ChunkLocation, ctx: { storeId: string; dataKey?: Uint8Array }): Uint8Array {
  if (l.codec !== "zstd") throw new RangeError(`chunk ${l.digest.toHex()} is not stored as a zstd frame`);
  const frame = unsealRecord(record, l, ctx);
  if (zstdFrameLength(frame) !== frame.length) throw dataLoss(`chunk ${l.digest.toHex()} in pack ${l.packId} is corrupt: not one whole zstd frame`);
  return frame;
}

/**
 * A record's encoded chunk: decrypted when it is encrypted (DATA_LOSS naming the chunk when it does
 * not decrypt, FAILED_PRECONDITION when no key is at hand), else the record itself.
 */
function unsealRecord(record: Uint8Array, l: ChunkLocation, ctx: { storeId: string; dataKey?: Uint8Array }): Uint8Array {
  if (!l.encrypted) return record;
  if (ctx.dataKey === undefined) {
    throw failedPrecondition(`chunk ${l.digest.toHex()} is encrypted but no data key is available`, "DATA_KEY_REQUIRED");
  }
  try {
    return decryptChunk(ctx.dataKey, record, { storeId: ctx.storeId, digest: l.digest, codec: l.codec });
  } catch (e) {
    throw dataLoss(`chunk ${l.digest.toHex()} in pack ${l.packId} is corrupt: it does not decrypt`, e);
  }
}
