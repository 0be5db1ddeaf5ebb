/**
 * Reads from pack objects: ranged reads of records, and pack trailers (self-description), which is
 * enough to rebuild the chunk index of a store from its packs alone.
 */
import { dataLoss, unavailable } from "../../domain/errors.js";
import { type BlobStore, isBlobError } from "../blob/blob-store.js";
import {
  PACK_FOOTER_BYTES,
  PackFormatError,
  decodePackFooter,
  decodePackIndex,
  packIdFromKey,
  packKey,
  packPrefix,
} from "./pack-format.js";
import type { ChunkLocation } from "./types.js";

/**
 * Maps a failure to read `what`: a missing object or range becomes DATA_LOSS (the index said it
 * exists), a backend outage UNAVAILABLE; anything else is rethrown unchanged.
 */
function blobFailure(e: unknown, what: string): unknown {
  if (isBlobError(e, "BlobNotFound") || isBlobError(e, "BlobInvalidRange")) return dataLoss(`${what} is missing`, e);
  if (isBlobError(e, "BlobUnavailable")) return unavailable(`blob storage is unavailable while reading ${what}`, e);
  return e;
}

/**
 * Reads exactly bytes [offset, offset + length) of a blob into one buffer. A short object fails
 * with DATA_LOSS naming `what`.
 */
export async function readExact(
  blobStore: BlobStore,
  key: string,
  offset: number,
  length: number,
  what: string,
): Promise<Uint8Array> {
  let out: Uint8Array | undefined;
  let at = 0;
  try {
    for await (const part of blobStore.get(key, { offset, length })) {
      if (out === undefined && at === 0 && part.length === length) {
        out = part; // the whole range in one part (local disk): no copy
        at = length;
        continue;
      }
      out ??= new Uint8Array(length);
      if (at + part.length > length) throw dataLoss(`${what} is longer than requested`);
      out.set(part, at);
      at += part.length;
    }
  } catch (e) {
    throw blobFailure(e, what);
  }
  if (at !== length) throw dataLoss(`${what} is truncated (${at} of ${length} bytes)`);
  return out ?? new Uint8Array(0);
}

/** The chunk locations recorded in a pack's trailer. Fails with DATA_LOSS when it is malformed. */
export async function readPackIndex(blobStore: BlobStore, storeId: string, packId: string): Promise<ChunkLocation[]> {
  const key = packKey(storeId, packId);
  const what = `pack ${packId}`;
  let info;
  try {
    info = await blobStore.stat(key);
  } catch (e) {
    throw blobFailure(e, what);
  }
  if (info === undefined) throw dataLoss(`${what} is missing`);
  if (info.size < PACK_FOOTER_BYTES) throw dataLoss(`${what} is too short to be a pack`);
  try {
    const footer = decodePackFooter(
      await readExact(blobStore, key, info.size - PACK_FOOTER_BYTES, PACK_FOOTER_BYTES, what),
      info.size,
    );
    const index = await readExact(blobStore, key, footer.indexOffset, footer.indexLength, what);
    return decodePackIndex(index, footer).map((e) => ({ ...e, packId }));
  } catch (e) {
    if (e instanceof PackFormatError) throw dataLoss(`${what} is corrupt: ${e.message}`, e);
    throw e;
  }
}

/** Ids of every pack stored for `storeId`, in key order. */
export async function* listPackIds(blobStore: BlobStore, storeId: string): AsyncGenerator<string> {
  for await (const info of blobStore.list(packPrefix(storeId))) {
    const id = packIdFromKey(info.key);
    if (id !== undefined) yield id;
  }
}

/**
 * Rebuilds index entries from packs alone: yields each pack's locations. A corrupt pack fails
 * with DATA_LOSS naming it.
 */
export async function* listPackLocations(blobStore: BlobStore, storeId: string): AsyncGenerator<ChunkLocation[]> {
  for await (const packId of listPackIds(blobStore, storeId)) yield await readPackIndex(blobStore, storeId, packId);
}
