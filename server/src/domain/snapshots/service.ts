import type { AuditContext } from "../audit/audit-context.js";
import { failedPrecondition, aborted, notFound, outOfRange, alreadyExists, resourceVersionExists } from "../errors.js";
import { decodePageToken, encodePageToken, pageSizeOf, parseTimeIdCursor } from "../paging.js";
import type { Clock, ContentStore, IngestResult, SnapshotRepository, TransactionStep } from "../ports.js";
import { Validator } from "../validate.js";
import { requestFingerprint } from "../audit/request-fingerprint.js";
import type { CommitGroups } from "./commit-groups.js";
import { snapshotEtag, type Snapshot, type SnapshotFilter, type SnapshotSpec } from "./types.js";

export interface SnapshotUseCasesDeps {
  snapshots: SnapshotRepository;
  content: ContentStore;
  clock: Clock;
  newId: () => string;
  /** How long a soft-deleted snapshot can be undeleted before it is purged (VELLUM_UNDELETE_WINDOW). */
  undeleteWindowMs: number;
  /** Group commit of inline creates without an idempotency key (commit-groups.ts); absent: each commits alone. */
  groups?: CommitGroups;
}

export interface Expected {
  sha256?: string;
  size?: number;
}

const DAY_MS = 86_400_000;

/** What identifies a request body for idempotency: a value, or a function computing it on demand. */
export type FingerprintParts = unknown;

/** The row of a new ACTIVE snapshot of `spec` whose content `stored` is durable. */
export function newSnapshot(spec: SnapshotSpec, stored: IngestResult, opts: { id: string; actor: string; now: Date }): Omit<Snapshot, "version"> {
  const now = opts.now;
  return {
    id: opts.id,
    storeId: spec.storeId,
    resourceType: spec.resourceType,
    resourceId: spec.resourceId,
    resourceVersion: spec.resourceVersion ?? "",
    snapshotType: spec.snapshotType,
    generation: 1,
    size: stored.size,
    storedSize: stored.storedSize,
    sha256: stored.sha256,
    tags: spec.tags,
    labels: spec.labels,
    metadata: spec.metadata,
    createdBy: opts.actor,
    state: "ACTIVE",
    pinned: false,
    locked: false,
    held: false,
    storageClass: "STANDARD",
    encrypted: stored.encryption !== undefined,
    encryption: stored.encryption,
    contentRef: stored.contentRef,
    createTime: now,
    expireTime: spec.ttlDays > 0 ? new Date(now.getTime() + spec.ttlDays * DAY_MS) : undefined,
  };
}

/** Snapshot use-cases. Inputs are already validated specs; identifiers are validated here. */
export function createSnapshotUseCases(deps: SnapshotUseCasesDeps) {
  const { snapshots, content, clock } = deps;

  /**
   * The request fingerprint for idempotency checks, computed only when the spec carries an
   * idempotency key: `parts` may be a function, so costly parts (a hash of a 16 MiB payload or of
   * a million chunk refs) are never computed for requests without one.
   */
  const fingerprintOf = (spec: SnapshotSpec, parts: FingerprintParts): string | undefined =>
    spec.idempotencyKey ? requestFingerprint({ spec, body: typeof parts === "function" ? parts() : parts }).toHex() : undefined;

  async function replayed(spec: SnapshotSpec, method: string, fingerprint: string | undefined): Promise<Snapshot | undefined> {
    if (!spec.idempotencyKey) return undefined;
    const hit = await snapshots.findIdempotent(spec.storeId, method, spec.idempotencyKey);
    if (!hit) return undefined;
    if (hit.fingerprint !== fingerprint) {
      throw alreadyExists("idempotency_key was already used with a different request", "IDEMPOTENCY_KEY_REUSED");
    }
    return snapshots.get(spec.storeId, hit.resultId);
  }

  /** `create` of small whole content: staged, then saved with the snapshot in one transaction. */
  async function createInline(
    spec: SnapshotSpec,
    bytes: Uint8Array,
    opts: { actor: string; method: string; fingerprint?: string; signal?: AbortSignal; audit: AuditContext },
  ): Promise<Snapshot> {
    const staged = await content.stageInline!(spec.storeId, bytes, { encrypt: spec.encrypt, signal: opts.signal });
    try {
      opts.signal?.throwIfAborted(); // a call that ended while its content was stored commits nothing
      return await commitSnapshot(spec, staged.result, { ...opts, content: staged.step });
    } catch (err) {
      await staged.abandon().catch(() => undefined); // else left for the orphan sweep
      throw err;
    }
  }

  async function commitSnapshot(
    spec: SnapshotSpec,
    stored: IngestResult,
    opts: { actor: string; method: string; fingerprint?: string; audit: AuditContext; content?: TransactionStep; signal?: AbortSignal },
  ): Promise<Snapshot> {
    const row = newSnapshot(spec, stored, { id: deps.newId(), actor: opts.actor, now: clock.now() });
    const versionMessage = spec.metadata.commitMessage;
    // Inline content without an idempotency key commits with whatever else of its store is waiting.
    if (deps.groups && opts.content && !spec.idempotencyKey) {
      return deps.groups.commit({ snapshot: row, versionMessage, audit: opts.audit, content: opts.content }, opts.signal);
    }
    const { snapshot } = await snapshots.insert(row, {
      audit: opts.audit,
      versionMessage,
      idempotency:
        spec.idempotencyKey && opts.fingerprint !== undefined ? { key: spec.idempotencyKey, fingerprint: opts.fingerprint, method: opts.method } : undefined,
      content: opts.content,
    });
    return snapshot;
  }

  return {
    /**
     * Stores `source` durably, then makes the snapshot visible (and appends a version) in one
     * transaction. `fingerprintParts` identifies the request body for idempotency checks. Small
     * content given whole (a Uint8Array) is staged and saved in the snapshot's own transaction
     * when the content store can (ContentStore.stageInline).
     */
    async create(
      spec: SnapshotSpec,
      source: AsyncIterable<Uint8Array> | Uint8Array,
      opts: {
        actor: string;
        method: string;
        expected?: Expected;
        fingerprintParts: FingerprintParts;
        signal?: AbortSignal;
        audit: AuditContext;
      },
    ): Promise<Snapshot> {
      const fingerprint = fingerprintOf(spec, opts.fingerprintParts);
      const earlier = await replayed(spec, opts.method, fingerprint);
      if (earlier) return earlier;
      // Checked before the content is stored so a duplicate does not cost an upload; the unique
      // index decides races at commit.
      if (spec.resourceVersion && (await snapshots.resourceVersionTaken({ ...spec, resourceVersion: spec.resourceVersion }))) {
        throw resourceVersionExists(spec.resourceType, spec.resourceId, spec.resourceVersion);
      }
      if (source instanceof Uint8Array) {
        if (content.stageInline && !opts.expected && source.length <= (content.inlineMaxBytes ?? 0)) {
          return createInline(spec, source, { ...opts, fingerprint });
        }
        source = once(source);
      }
      const stored = await content.ingest(spec.storeId, source, {
        encrypt: spec.encrypt,
        expected: opts.expected,
        signal: opts.signal,
      });
      opts.signal?.throwIfAborted(); // a call that ended while its content was stored commits nothing
      return this.commit(spec, stored, { actor: opts.actor, method: opts.method, fingerprint, audit: opts.audit });
    },

    /** Returns the snapshot an earlier request with the same idempotency key created, if any. */
    async replay(spec: SnapshotSpec, method: string, fingerprintParts: FingerprintParts): Promise<Snapshot | undefined> {
      return replayed(spec, method, fingerprintOf(spec, fingerprintParts));
    },

    /**
     * Makes already-durable content visible as a snapshot (and appends a version when the spec names
     * a resource) in one transaction.
     */
    async commit(
      spec: SnapshotSpec,
      stored: IngestResult,
      opts: { actor: string; method: string; fingerprint?: string; fingerprintParts?: FingerprintParts; audit: AuditContext },
    ): Promise<Snapshot> {
      const fingerprint = opts.fingerprint ?? fingerprintOf(spec, opts.fingerprintParts);
      return commitSnapshot(spec, stored, { ...opts, fingerprint });
    },

    async get(storeId: string, snapshotId: string): Promise<Snapshot> {
      const v = new Validator();
      v.storeId("store_id", storeId);
      v.uuid("snapshot_id", snapshotId);
      v.throwIfAny();
      const s = await snapshots.get(storeId, snapshotId.toLowerCase());
      if (!s) throw notFound("snapshot", snapshotId);
      return s;
    },

    async list(filter: SnapshotFilter, pageSize: number, pageToken: string) {
      const size = pageSizeOf(pageSize);
      const after = decodePageToken(pageToken, filter, parseTimeIdCursor);
      const page = await snapshots.list(filter, size, after);
      return {
        snapshots: page.items,
        nextPageToken: page.next
          ? encodePageToken({ t: page.next.createTime.toISOString(), id: page.next.id }, filter)
          : "",
        totalSize: page.totalSize,
        totalSizeEstimated: page.totalSizeEstimated ?? false,
      };
    },

    /**
     * Soft delete (purgeable after the undelete window), or permanent removal with `force`. Pinned,
     * locked and held snapshots are protected either way.
     */
    async delete(storeId: string, snapshotId: string, force: boolean, etag: string, audit: AuditContext): Promise<Snapshot> {
      const s = await this.get(storeId, snapshotId);
      if (etag && etag !== snapshotEtag(s)) throw aborted("etag does not match the snapshot's current etag", "ETAG_MISMATCH");
      if (s.locked) throw failedPrecondition("snapshot is locked; unlock it before deleting", "SNAPSHOT_LOCKED");
      if (s.pinned) throw failedPrecondition("snapshot is pinned; unpin it before deleting", "SNAPSHOT_PINNED");
      if (s.held) throw failedPrecondition("snapshot is on legal hold; release the hold before deleting", "SNAPSHOT_HELD");
      const expected = etag ? s.generation : undefined;
      if (force) return snapshots.purge(storeId, s.id, expected, audit);
      if (s.state === "DELETED") return s;
      const now = clock.now();
      return snapshots.softDelete(storeId, s.id, { deleteTime: now, purgeTime: new Date(now.getTime() + deps.undeleteWindowMs) }, expected, audit);
    },

    /**
     * Resolves a download range against the snapshot; offset past the end is OUT_OF_RANGE. A caller
     * that has just loaded the snapshot passes it as `known` instead of having it read again.
     */
    async openRange(storeId: string, snapshotId: string, offset: number, length: number, known?: Snapshot) {
      const v = new Validator();
      if (offset < 0) v.add("offset", "must not be negative");
      if (length < 0) v.add("length", "must not be negative");
      v.throwIfAny();
      const s = known ?? (await this.get(storeId, snapshotId));
      if (s.state !== "ACTIVE") throw failedPrecondition("snapshot is deleted; its content cannot be read", "SNAPSHOT_DELETED");
      if (s.storageClass === "ARCHIVE") {
        throw failedPrecondition("snapshot is in the ARCHIVE storage class; call StorageService.RehydrateSnapshot and read it once that job has succeeded", "SNAPSHOT_ARCHIVED");
      }
      if (offset > s.size) throw outOfRange(`offset ${offset} is past the end of the content (${s.size} bytes)`);
      const len = length === 0 ? s.size - offset : Math.min(length, s.size - offset);
      return {
        snapshot: s,
        range: { offset, length: len },
        stream: (signal?: AbortSignal) => content.read(s, { offset, length: len }, signal),
        /** The range for a reader that decodes zstd frames itself (ContentStore.readFrames); absent when the store has none. */
        frames: content.readFrames && ((signal?: AbortSignal) => content.readFrames!(s, { offset, length: len }, signal)),
      };
    },
  };
}

export type SnapshotUseCases = ReturnType<typeof createSnapshotUseCases>;

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  if (bytes.length) yield bytes;
}
