import { createHash } from "node:crypto";
import type { AuditContext } from "../audit/audit-context.js";
import { Sha256 } from "../digest.js";
import { failedPrecondition, invalidField, notFound } from "../errors.js";
import type { Clock } from "../ports.js";
import type { SnapshotUseCases } from "../snapshots/service.js";
import type { Snapshot } from "../snapshots/types.js";
import { Validator } from "../validate.js";
import type { ChunkEntry, ChunkUploadStore, UploadHeader, UploadSession, UploadSessionStore } from "./types.js";

export const MAX_FIND_DIGESTS = 10_000;
export const MAX_COMMIT_CHUNKS = 1_000_000;
/** The largest chunk a commit's chunk list may name, in bytes. */
const MAX_CHUNK_REF_BYTES = 64 * 1024 * 1024;

/** The request fields a commit's chunk list came in, named by violations: the list, and chunk i's size. */
export interface ChunkListFields {
  list: string;
  size: (i: number) => string;
}

/** The fields of a list of ChunkRef messages. */
const CHUNK_REFS: ChunkListFields = { list: "chunks", size: (i) => `chunks[${i}].size` };

export interface UploadUseCasesDeps {
  snapshots: SnapshotUseCases;
  sessions: UploadSessionStore;
  chunks: ChunkUploadStore;
  clock: Clock;
  newId: () => string;
}

/** Parses raw 32-byte digests, reporting the first bad one under `field`. */
export function parseDigests(field: string, raw: Uint8Array[]): Sha256[] {
  return raw.map((b, i) => {
    if (b.length !== 32) throw invalidField(`${field}[${i}]`, "must be a 32-byte SHA-256 digest");
    return Sha256.fromBytes(b);
  });
}

/** Resumable sessions and the content-addressed (client-side dedup) upload path. */
export function createUploadUseCases(deps: UploadUseCasesDeps) {
  const { sessions, chunks, snapshots } = deps;

  async function open(storeId: string, uploadId: string): Promise<UploadSession> {
    const v = new Validator();
    v.storeId("store_id", storeId);
    v.uuid("upload_id", uploadId);
    v.throwIfAny();
    const s = await sessions.get(storeId, uploadId.toLowerCase());
    if (!s) throw notFound("upload", uploadId);
    return s;
  }

  return {
    get: open,

    async start(header: UploadHeader, actor: string): Promise<UploadSession> {
      return sessions.start(deps.newId(), header.spec.storeId, header, actor, deps.clock.now());
    },

    async cancel(storeId: string, uploadId: string): Promise<UploadSession> {
      const s = await open(storeId, uploadId);
      const after = await sessions.setState(s.storeId, s.id, "OPEN", "CANCELLED");
      if (!after) throw failedPrecondition(`upload is ${s.state}`, "UPLOAD_NOT_OPEN");
      return after;
    },

    /**
     * Appends a stream to a session. The source ending normally is the client's orderly end of
     * stream, and only that commits the session into a snapshot. A source that throws (a cancel,
     * reset, deadline or idle timeout) keeps the bytes that arrived, leaves the session OPEN at its
     * new committed size and rethrows; so does a `signal` that aborts before the commit.
     */
    async append(
      storeId: string,
      uploadId: string,
      writeOffset: number,
      source: AsyncIterable<Uint8Array>,
      opts: { actor: string; audit: AuditContext; signal?: AbortSignal },
    ): Promise<Snapshot> {
      const session = await open(storeId, uploadId);
      const { spec, expected } = session.header;
      const r = await sessions.appendSegment(session, writeOffset, source, spec.encrypt, opts.signal);
      if (r.sourceError !== undefined) throw r.sourceError;
      opts.signal?.throwIfAborted();
      const single = r.session.segments === 1 && writeOffset === 0 ? r.segmentSha256.toHex() : undefined;
      const stored = await sessions.finish(r.session, spec.encrypt, expected, single);
      opts.signal?.throwIfAborted();
      const snapshot = await snapshots.commit(spec, stored, {
        actor: opts.actor,
        method: "UploadSession",
        fingerprintParts: { uploadId: session.id },
        audit: opts.audit,
      });
      await sessions.setState(session.storeId, session.id, "OPEN", "COMMITTED", snapshot.id);
      return snapshot;
    },

    async findMissing(storeId: string, digests: Uint8Array[], encrypted: boolean): Promise<Sha256[]> {
      const v = new Validator();
      v.storeId("store_id", storeId);
      if (digests.length > MAX_FIND_DIGESTS) v.add("digests", `must have at most ${MAX_FIND_DIGESTS} entries`);
      v.throwIfAny();
      return chunks.findMissing(storeId, parseDigests("digests", digests), encrypted);
    },

    storeChunks: chunks.storeChunks,

    /** Creates a snapshot from chunks the store holds (idempotent with the header's key). */
    async commitChunks(
      header: UploadHeader,
      refs: readonly { digest: Uint8Array; size: number }[],
      opts: { actor: string; audit: AuditContext; signal?: AbortSignal; fields?: ChunkListFields },
    ): Promise<Snapshot> {
      const fields = opts.fields ?? CHUNK_REFS;
      if (refs.length > MAX_COMMIT_CHUNKS) throw invalidField(fields.list, `must have at most ${MAX_COMMIT_CHUNKS} entries`);
      const digests = parseDigests(fields.list, refs.map((r) => r.digest));
      const entries: ChunkEntry[] = refs.map((r, i) => {
        if (!(r.size >= 1 && r.size <= MAX_CHUNK_REF_BYTES)) throw invalidField(fields.size(i), "must be between 1 and 64 MiB");
        return { digest: digests[i], size: r.size };
      });
      let parts: { chunks: string; expected: typeof header.expected } | undefined; // replay and commit share it
      const fingerprintParts = () => {
        if (parts) return parts;
        const listHash = createHash("sha256");
        for (const e of entries) listHash.update(e.digest.bytes).update(String(e.size));
        return (parts = { chunks: listHash.digest("hex"), expected: header.expected });
      };
      const earlier = await snapshots.replay(header.spec, "CommitSnapshot", fingerprintParts);
      if (earlier) return earlier;
      const stored = await chunks.assemble(header.spec.storeId, entries, header.spec.encrypt, header.expected, opts.signal);
      return snapshots.commit(header.spec, stored, { actor: opts.actor, method: "CommitSnapshot", fingerprintParts, audit: opts.audit });
    },
  };
}

export type UploadUseCases = ReturnType<typeof createUploadUseCases>;
