import type { Sha256 } from "../../domain/digest.js";
import { encryptChunk } from "./chunk-crypto.js";
import { type EncodeOptions, type EncodedChunk, encodeChunk } from "./codec.js";
import type { PackWriter } from "./pack-writer.js";

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
