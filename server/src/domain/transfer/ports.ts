import type { SnapshotType } from "../snapshots/types.js";
import type { ArchiveOutput } from "./archive.js";

/** Where one export archive goes (a file, a GCS object, an HTTP PUT). */
export interface ArchiveSink {
  /** The archive's address without credentials, for results, logs and lineage. */
  readonly location: string;
  /**
   * Writes the whole archive; it becomes visible only when complete (file rename, GCS finalize, a
   * 2xx answer). Aborting `signal` stops and leaves nothing behind where the destination allows.
   * Errors: FAILED_PRECONDITION for a refused address or a receiver's 4xx, UNAVAILABLE for
   * failures worth retrying (5xx, network, stalls).
   */
  write(archive: ArchiveOutput, info: { contentSha256: string }, signal: AbortSignal): Promise<void>;
}

/**
 * What an import source yields: an export archive, or a share link's raw content with what the link
 * tells. `close` releases the connection or file whether or not `body` was read (idempotent).
 */
export type SourceBody = { body: AsyncIterable<Uint8Array>; close(): void } & (
  | { kind: "archive" }
  | { kind: "share"; sha256: string; size: number; snapshotType: SnapshotType; snapshotId: string }
);

export interface ArchiveSource {
  /** The source's address without credentials (no share token, no query string), for lineage and logs. */
  readonly location: string;
  open(signal: AbortSignal): Promise<SourceBody>;
}

/**
 * Export destinations and import sources by URL. Both methods validate at once without transferring
 * anything (INVALID_ARGUMENT naming `field`, PERMISSION_DENIED outside the export root), so the
 * RPC can refuse a bad address before a job is queued; the job calls them again to transfer.
 */
export interface TransferEndpoints {
  destination(raw: string, field: string, opts: { archiveName: string; signingSecret?: Uint8Array }): Promise<ArchiveSink>;
  source(raw: string, field: string): Promise<ArchiveSource>;
}

/** Seals secrets (keys, signing secrets, share links) kept in job params, under the server's key. */
export interface SecretSealer {
  seal(secret: Uint8Array): Promise<string>;
  open(sealed: string): Promise<Uint8Array>;
}
