import type { Sha256 } from "../digest.js";
import type { IngestResult } from "../ports.js";
import type { SnapshotSpec } from "../snapshots/types.js";

export type UploadState = "OPEN" | "COMMITTED" | "CANCELLED" | "EXPIRED";

/** What a resumable session records at start: the snapshot it will create and what to expect. */
export interface UploadHeader {
  spec: SnapshotSpec;
  expected: { sha256?: string; size?: number };
}

export interface UploadSession {
  id: string;
  storeId: string;
  header: UploadHeader;
  state: UploadState;
  /** Durable bytes so far: the offset a client resumes from. */
  committedSize: number;
  segments: number;
  snapshotId?: string;
  createdBy: string;
  createTime: Date;
  updateTime: Date;
  expireTime: Date;
}

export interface ChunkEntry {
  digest: Sha256;
  size: number;
}

/** Resumable session storage (chunk engine + Postgres). */
export interface UploadSessionStore {
  start(id: string, storeId: string, header: UploadHeader, createdBy: string, now: Date): Promise<UploadSession>;
  get(storeId: string, id: string): Promise<UploadSession | undefined>;
  /**
   * Stores `source` as the session's next segment. A source that throws ends the segment: the
   * bytes before it are kept and its error is returned as `sourceError`. `signal` only cancels a
   * segment still waiting to start (for memory, see the content store).
   */
  appendSegment(
    session: UploadSession,
    writeOffset: number,
    source: AsyncIterable<Uint8Array>,
    encrypt: boolean,
    signal?: AbortSignal,
  ): Promise<{ session: UploadSession; sourceError?: unknown; segmentSha256: Sha256 }>;
  finish(session: UploadSession, encrypt: boolean, expected: UploadHeader["expected"], singleSegmentSha?: string): Promise<IngestResult>;
  setState(storeId: string, id: string, from: UploadState, to: UploadState, snapshotId?: string): Promise<UploadSession | undefined>;
}

/** Largest chunk a client may send, raw or (as its declared decoded size) zstd-compressed. */
export const MAX_UPLOADED_CHUNK_BYTES = 8 * 1024 * 1024;

/** One chunk as a client sent it: its bytes, or one zstd frame of `zstdSize` decoded bytes. */
export interface UploadedChunk {
  bytes: Uint8Array;
  zstdSize?: number;
  /** The request field that carried `bytes`, named by errors about them; default `chunk`. */
  field?: string;
}

/** Content-addressed chunk storage for client-side dedup. */
export interface ChunkUploadStore {
  findMissing(storeId: string, digests: Sha256[], encrypted: boolean): Promise<Sha256[]>;
  storeChunks(
    storeId: string,
    encrypted: boolean,
    chunks: AsyncIterable<UploadedChunk>,
    signal?: AbortSignal,
  ): Promise<{ received: number; stored: number; bytes: number }>;
  assemble(storeId: string, entries: ChunkEntry[], encrypted: boolean, expected: UploadHeader["expected"], signal?: AbortSignal): Promise<IngestResult>;
}
