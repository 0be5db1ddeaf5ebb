import type { AuditContext } from "./audit/audit-context.js";
import type { Job, JobFilter, NewJob, WaitingJobState } from "./jobs/types.js";
import type { Snapshot, SnapshotFilter, Version } from "./snapshots/types.js";

/** A keyset page: items plus an opaque cursor for the next page (undefined when done). */
export interface Page<T, C> {
  items: T[];
  next?: C;
  totalSize: number;
  /** True when `totalSize` is an estimate rather than an exact count. */
  totalSizeEstimated?: boolean;
}

export interface SnapshotCursor {
  createTime: Date;
  id: string;
}

export interface VersionCursor {
  version: number;
}

/** Snapshot and version persistence. Multi-row invariants are kept inside one transaction. */
export interface SnapshotRepository {
  /**
   * Inserts an ACTIVE snapshot; when `resourceId` is set, appends the next version of the resource in
   * the same transaction. With an idempotency key, a committed earlier attempt with the same
   * fingerprint is returned instead (`replayed: true`); a different fingerprint fails ALREADY_EXISTS.
   * A new snapshot writes a `snapshot.create` audit event in the same transaction.
   */
  insert(
    snapshot: Omit<Snapshot, "version">,
    opts: {
      idempotency?: { key: string; fingerprint: string; method: string };
      versionMessage: string;
      audit: AuditContext;
      /** Runs in the insert's transaction before the snapshot row (not for a replay): inline content. */
      content?: TransactionStep;
    },
  ): Promise<{ snapshot: Snapshot; replayed: boolean }>;
  findIdempotent(storeId: string, method: string, key: string): Promise<{ fingerprint: string; resultId: string } | undefined>;
  /** Whether a snapshot (live or soft-deleted) of the resource already has `resourceVersion`. */
  resourceVersionTaken(key: ResourceKey & { resourceVersion: string }): Promise<boolean>;
  get(storeId: string, id: string): Promise<Snapshot | undefined>;
  list(filter: SnapshotFilter, pageSize: number, after?: SnapshotCursor): Promise<Page<Snapshot, SnapshotCursor>>;
  /**
   * Marks DELETED with the given delete and purge times (bumping generation) if ACTIVE; returns the
   * row after the change. Audited.
   */
  softDelete(
    storeId: string,
    id: string,
    at: { deleteTime: Date; purgeTime: Date },
    expectedGeneration: number | undefined,
    audit: AuditContext,
  ): Promise<Snapshot>;
  /** Removes the snapshot and its versions. Audited. */
  purge(storeId: string, id: string, expectedGeneration: number | undefined, audit: AuditContext): Promise<Snapshot>;
}

export interface VersionRepository {
  list(
    key: ResourceKey,
    pageSize: number,
    since?: Date,
    after?: VersionCursor,
  ): Promise<Page<Version, VersionCursor>>;
  get(key: ResourceKey, version: number): Promise<Version | undefined>;
  latest(key: ResourceKey): Promise<Version | undefined>;
  /** Appends the snapshot as the next version (row-locked counter) and returns it. Audited. */
  /**
   * With `idempotency`, a committed earlier request with the same key and fingerprint returns its
   * version instead (and a different fingerprint fails ALREADY_EXISTS).
   */
  append(
    key: ResourceKey,
    snapshotId: string,
    authorId: string,
    notes: string,
    now: Date,
    audit: AuditContext,
    idempotency?: { key: string; fingerprint: string },
  ): Promise<Version>;
}

export interface ResourceKey {
  storeId: string;
  resourceType: string;
  resourceId: string;
}

export interface JobRepository {
  /**
   * Inserts a QUEUED job, audited when it belongs to a store and `audit` is given. When a QUEUED
   * or RUNNING job holds `job.dedupeKey`, inserts nothing and returns that job (created: false).
   */
  create(job: NewJob, audit?: AuditContext): Promise<{ job: Job; created: boolean }>;
  /** One of the store's jobs, with its log lines (system jobs belong to no store: never found). */
  get(storeId: string, id: string): Promise<Job | undefined>;
  list(filter: JobFilter, pageSize: number, after?: SnapshotCursor): Promise<Page<Job, SnapshotCursor>>;
  /** QUEUED or waiting -> CANCELLED, or RUNNING -> cancel_requested. Returns the job after the change. Audited. */
  requestCancel(storeId: string, id: string, now: Date, audit: AuditContext): Promise<Job | undefined>;
  /**
   * A job in `from` -> QUEUED now, attempts reset, `params` merged into its params; notifies
   * workers and audits `action`. Undefined when the job is not (or no longer) in `from`.
   */
  resume(
    storeId: string,
    id: string,
    from: WaitingJobState,
    opts: { params: Record<string, unknown>; now: Date; action: string; audit: AuditContext },
  ): Promise<Job | undefined>;
}

/** Result of streaming content into durable storage. Nothing is visible until a snapshot row commits. */
export interface IngestResult {
  contentRef: string;
  sha256: string;
  size: number;
  /** Bytes this content occupies in storage (after dedup, compression). */
  storedSize: number;
  encryption?: { algorithm: string; keyId: string };
}

/** Work a storage adapter runs inside the transaction of another repository's write. */
export interface TransactionStep {
  /** `tx` is the adapter's own transaction handle, opaque here. */
  run(tx: unknown): Promise<void>;
}

/** Content staged to be saved in the transaction that creates its snapshot (ContentStore.stageInline). */
export interface StagedContent {
  result: IngestResult;
  /** Saves the content's rows; the snapshot insert runs it in its transaction. */
  step: TransactionStep;
  /** Removes what staging wrote, when that transaction did not commit. */
  abandon(): Promise<void>;
}

/** A piece of content from ContentStore.readFrames: verified plaintext, or one whole chunk as a zstd frame. */
export type ContentPiece = Uint8Array | ContentFrame;
export interface ContentFrame {
  /** A zstd frame that decodes to `size` bytes whose SHA-256 is `digest` (32 bytes). */
  frame: Uint8Array;
  digest: Uint8Array;
  size: number;
}

export interface ContentStore {
  /**
   * Largest content `stageInline` takes; absent when the store has no inline path. Inline content
   * holds only its own size against the buffer budget, not an ingest's pack buffers.
   */
  readonly inlineMaxBytes?: number;
  /**
   * Stages small content that is already in memory: its new chunks are durable when this resolves,
   * and its result becomes readable only once `step` has run in a committed transaction.
   */
  stageInline?(storeId: string, bytes: Uint8Array, opts: { encrypt: boolean; signal?: AbortSignal }): Promise<StagedContent>;
  /**
   * Streams `source` into durable storage, hashing as it goes. Fails with DATA_LOSS when
   * `expected.sha256` differs and INVALID_ARGUMENT when `expected.size` differs; nothing is then kept
   * that any snapshot references. The store may keep references to the yielded buffers until it
   * resolves: a source must not write to a buffer after yielding it.
   */
  ingest(
    storeId: string,
    source: AsyncIterable<Uint8Array>,
    opts: { encrypt: boolean; expected?: { sha256?: string; size?: number }; signal?: AbortSignal },
  ): Promise<IngestResult>;
  /**
   * Streams bytes [offset, offset+length) of the content. Bytes are verified against content hashes
   * before they are yielded; corruption throws DATA_LOSS and no wrong byte is ever yielded.
   */
  read(
    snapshot: Pick<Snapshot, "storeId" | "contentRef" | "size" | "sha256">,
    range: { offset: number; length: number },
    signal?: AbortSignal,
  ): AsyncIterable<Uint8Array>;
  /**
   * As `read`, for a reader that decodes zstd frames itself and checks each against its digest and
   * size: whole chunks stored as zstd come as their frames, not decoded or hash-checked here;
   * every other piece is verified plaintext, as `read` yields it. Absent when the store keeps no
   * frames.
   */
  readFrames?(
    snapshot: Pick<Snapshot, "storeId" | "contentRef" | "size" | "sha256">,
    range: { offset: number; length: number },
    signal?: AbortSignal,
  ): AsyncIterable<ContentPiece>;
  /** Re-reads all content and reports every problem found (empty list = healthy). */
  verify(
    snapshot: Pick<Snapshot, "storeId" | "contentRef" | "size" | "sha256">,
    onProgress: (bytesChecked: number) => void,
    signal?: AbortSignal,
  ): Promise<{ bytesChecked: number; problems: { subject: string; message: string }[] }>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
