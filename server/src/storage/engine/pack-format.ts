/**
 * Pack object format, version 1. A pack holds many chunk records of one store, so the blob
 * store keeps a few large objects instead of millions of tiny ones. Packs are self-describing:
 * the chunk index can be rebuilt by reading pack trailers alone.
 *
 *   header   8 bytes   "VPAK" || u32 version (1)
 *   records  ...       stored chunk records back to back (encoded, then encrypted if flagged)
 *   index    52 bytes per entry, in record order:
 *              digest (32) || record offset u64 || record length u32 || plain size u32 ||
 *              codec id u8 (0 raw, 1 zstd) || flags u8 (bit 0: encrypted) || reserved u16 (0)
 *   footer   64 bytes:
 *              SHA-256 of the index (32) || index offset u64 || index length u32 ||
 *              entry count u32 || version u32 (1) || reserved u32 (0) || "VPAKEND\0"
 * All integers are big-endian. Offsets are from the start of the pack.
 */
import { createHash } from "node:crypto";
import { Sha256 } from "../../domain/digest.js";
import { assertValidKey } from "../blob/blob-store.js";
import { CODEC_IDS, type ChunkLocation, codecFromId } from "./types.js";

export const PACK_VERSION = 1;
export const PACK_HEADER_BYTES = 8;
export const PACK_INDEX_ENTRY_BYTES = 52;
export const PACK_FOOTER_BYTES = 64;
const HEADER_MAGIC = Buffer.from("VPAK", "ascii");
const FOOTER_MAGIC = Buffer.from("VPAKEND\0", "ascii");

/** A pack index entry: a chunk location without the pack id. */
export type PackEntry = Omit<ChunkLocation, "packId">;

export interface PackFooter {
  indexOffset: number;
  indexLength: number;
  entryCount: number;
  indexSha256: Uint8Array;
}

/** A malformed pack. Readers turn it into DATA_LOSS naming the pack. */
export class PackFormatError extends Error {
  override readonly name = "PackFormatError";
}

/** Blob key of a pack: packs/<storeId>/<first two hex digits of packId>/<packId>. */
export function packKey(storeId: string, packId: string): string {
  if (!/^[0-9a-f]{32}$/.test(packId)) throw new TypeError(`invalid pack id: ${JSON.stringify(packId)}`);
  const key = `packs/${storeId}/${packId.slice(0, 2)}/${packId}`;
  assertValidKey(key);
  if (key.split("/").length !== 4) throw new TypeError(`store id must be one key segment: ${JSON.stringify(storeId)}`);
  return key;
}

/** Prefix under which every pack of a store lives. */
export const packPrefix = (storeId: string): string => `packs/${storeId}/`;

/** The pack id at the end of a pack key, or undefined when `key` is not a pack key. */
export function packIdFromKey(key: string): string | undefined {
  const m = /^packs\/[^/]+\/([0-9a-f]{2})\/([0-9a-f]{32})$/.exec(key);
  return m && m[2].startsWith(m[1]) ? m[2] : undefined;
}

export function encodePackHeader(): Uint8Array {
  const b = Buffer.alloc(PACK_HEADER_BYTES);
  HEADER_MAGIC.copy(b, 0);
  b.writeUInt32BE(PACK_VERSION, 4);
  return b;
}

export function encodePackIndex(entries: readonly PackEntry[]): Uint8Array {
  const b = Buffer.alloc(entries.length * PACK_INDEX_ENTRY_BYTES);
  entries.forEach((e, i) => {
    const o = i * PACK_INDEX_ENTRY_BYTES;
    b.set(e.digest.bytes, o);
    b.writeBigUInt64BE(BigInt(e.offset), o + 32);
    b.writeUInt32BE(e.length, o + 40);
    b.writeUInt32BE(e.plainSize, o + 44);
    b.writeUInt8(CODEC_IDS[e.codec], o + 48);
    b.writeUInt8(e.encrypted ? 1 : 0, o + 49);
  });
  return b;
}

export function encodePackFooter(indexOffset: number, index: Uint8Array): Uint8Array {
  const b = Buffer.alloc(PACK_FOOTER_BYTES);
  b.set(createHash("sha256").update(index).digest(), 0);
  b.writeBigUInt64BE(BigInt(indexOffset), 32);
  b.writeUInt32BE(index.length, 40);
  b.writeUInt32BE(index.length / PACK_INDEX_ENTRY_BYTES, 44);
  b.writeUInt32BE(PACK_VERSION, 48);
  FOOTER_MAGIC.copy(b, 56);
  return b;
}

/** Parses and checks a footer of a pack of `packSize` bytes. Throws PackFormatError. */
export function decodePackFooter(bytes: Uint8Array, packSize: number): PackFooter {
  if (bytes.length !== PACK_FOOTER_BYTES) throw new PackFormatError("pack footer is truncated");
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (!b.subarray(56).equals(FOOTER_MAGIC)) throw new PackFormatError("pack footer magic is wrong");
  const version = b.readUInt32BE(48);
  if (version !== PACK_VERSION) throw new PackFormatError(`unsupported pack version ${version}`);
  const indexOffset = Number(b.readBigUInt64BE(32));
  const indexLength = b.readUInt32BE(40);
  const entryCount = b.readUInt32BE(44);
  if (
    indexLength !== entryCount * PACK_INDEX_ENTRY_BYTES ||
    indexOffset < PACK_HEADER_BYTES ||
    indexOffset + indexLength + PACK_FOOTER_BYTES !== packSize
  ) {
    throw new PackFormatError("pack footer describes an index that does not fit the pack");
  }
  return { indexOffset, indexLength, entryCount, indexSha256: Uint8Array.from(b.subarray(0, 32)) };
}

/** Parses an index checked against its footer: hash, count and record bounds. Throws PackFormatError. */
export function decodePackIndex(bytes: Uint8Array, footer: PackFooter): PackEntry[] {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (b.length !== footer.indexLength) throw new PackFormatError("pack index is truncated");
  if (!createHash("sha256").update(b).digest().equals(footer.indexSha256)) {
    throw new PackFormatError("pack index checksum mismatch");
  }
  const out: PackEntry[] = [];
  for (let i = 0; i < footer.entryCount; i++) {
    const o = i * PACK_INDEX_ENTRY_BYTES;
    const codec = codecFromId(b.readUInt8(o + 48));
    const flags = b.readUInt8(o + 49);
    const offset = Number(b.readBigUInt64BE(o + 32));
    const length = b.readUInt32BE(o + 40);
    if (codec === undefined || flags > 1 || offset < PACK_HEADER_BYTES || offset + length > footer.indexOffset) {
      throw new PackFormatError(`pack index entry ${i} is invalid`);
    }
    out.push({
      digest: Sha256.fromBytes(b.subarray(o, o + 32)),
      offset,
      length,
      plainSize: b.readUInt32BE(o + 44),
      codec,
      encrypted: flags === 1,
    });
  }
  return out;
}
