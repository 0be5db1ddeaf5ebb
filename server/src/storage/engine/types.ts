/**
 * Types shared by the storage engine: how a chunk is encoded and where its record lives.
 */
import type { Sha256 } from "../../domain/digest.js";

/** How a chunk's bytes are stored before encryption. Recorded per chunk so codecs can change. */
export type Codec = "raw" | "zstd";

/** Numeric codec ids used in pack indexes. Part of the pack format: never renumber. */
export const CODEC_IDS: Readonly<Record<Codec, number>> = Object.freeze({ raw: 0, zstd: 1 });

export function codecFromId(id: number): Codec | undefined {
  return id === 0 ? "raw" : id === 1 ? "zstd" : undefined;
}

/**
 * Where a chunk's stored record lives: bytes [offset, offset + length) of pack `packId` of the
 * store (key from `packKey`). The record is the encoded chunk, encrypted when `encrypted`.
 */
export interface ChunkLocation {
  /** SHA-256 of the plaintext chunk: the chunk id. */
  digest: Sha256;
  packId: string;
  offset: number;
  /** Stored record length in bytes. */
  length: number;
  /** Plaintext length in bytes. */
  plainSize: number;
  codec: Codec;
  encrypted: boolean;
}
