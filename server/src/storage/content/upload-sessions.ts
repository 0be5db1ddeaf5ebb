import { and, eq, getTableColumns, sql } from "drizzle-orm";
import { parseDigest } from "../../domain/digest.js";
import { failedPrecondition, aborted } from "../../domain/errors.js";
import type { IngestResult } from "../../domain/ports.js";
import type { UploadHeader, UploadSession, UploadSessionStore, UploadState } from "../../domain/uploads/types.js";
import type { Db } from "../db/client.js";
import { uploads } from "../db/schema/index.js";
import { createManifest, decodeManifest, encodeManifest, type ManifestEntry } from "../engine/manifest.js";
import type { ChunkedContentStore } from "./chunked-store.js";
import type { IngestLeases } from "./ingest-leases.js";

/** Every column but the manifest (megabytes for a large session), which only entriesOf reads. */
const { manifest: _manifest, ...sessionColumns } = getTableColumns(uploads);
type Row = Omit<typeof uploads.$inferSelect, "manifest">;

function toSession(r: Row): UploadSession {
  const expired = r.state === "OPEN" && r.expireTime.getTime() < Date.now();
  return {
    id: r.id,
    storeId: r.storeId,
    header: JSON.parse(Buffer.from(r.header).toString("utf8")) as UploadHeader,
    state: expired ? "EXPIRED" : (r.state as UploadState),
    committedSize: r.committedSize,
    segments: r.segments,
    snapshotId: r.snapshotId ?? undefined,
    createdBy: r.createdBy,
    createTime: r.createTime,
    updateTime: r.updateTime,
    expireTime: r.expireTime,
  };
}

/**
 * Resumable upload sessions over the chunk engine. Each UploadSnapshot stream on a session is a
 * segment: its bytes are chunked and made durable, and the session's manifest and committed size
 * advance in one conditional update (committed_size must still be the segment's start offset, so
 * two writers cannot both append). A stream cut off mid-way still keeps every byte it delivered.
 * A segment holds an ingest lease until the session records it; from then on the open session's
 * manifest keeps its chunks live.
 */
export function createUploadSessions(deps: { db: Db; content: ChunkedContentStore; leases: IngestLeases; ttlMs: number }): UploadSessionStore {
  const { db, content } = deps;

  async function get(storeId: string, id: string): Promise<UploadSession | undefined> {
    const [row] = await db.select(sessionColumns).from(uploads).where(and(eq(uploads.storeId, storeId), eq(uploads.id, id)));
    return row && toSession(row);
  }

  async function entriesOf(storeId: string, id: string): Promise<ManifestEntry[]> {
    const [row] = await db.select({ m: uploads.manifest }).from(uploads).where(and(eq(uploads.storeId, storeId), eq(uploads.id, id)));
    return row?.m ? [...decodeManifest(row.m).entries] : [];
  }

  return {
    get,

    async start(id: string, storeId: string, header: UploadHeader, createdBy: string, now: Date): Promise<UploadSession> {
      const [row] = await db
        .insert(uploads)
        .values({
          id,
          storeId,
          header: Buffer.from(JSON.stringify(header)),
          state: "OPEN",
          createdBy,
          createTime: now,
          updateTime: now,
          expireTime: new Date(now.getTime() + deps.ttlMs),
        })
        .returning(sessionColumns);
      return toSession(row);
    },

    /**
     * Appends one segment starting at `writeOffset`. Returns the session after the append and the
     * error that cut the source off, if any (the bytes before it are kept).
     */
    async appendSegment(session: UploadSession, writeOffset: number, source: AsyncIterable<Uint8Array>, encrypt: boolean, signal?: AbortSignal) {
      if (session.state !== "OPEN") throw failedPrecondition(`upload is ${session.state}`, "UPLOAD_NOT_OPEN");
      if (writeOffset !== session.committedSize) {
        throw failedPrecondition(
          `write_offset ${writeOffset} does not match the committed size ${session.committedSize}; resume from ${session.committedSize}`,
          "UPLOAD_OFFSET_MISMATCH",
        );
      }
      let sourceError: unknown;
      const guarded = (async function* () {
        try {
          yield* source;
        } catch (err) {
          sourceError = err;
        }
      })();
      return deps.leases.hold(session.storeId, async (lease) => {
        // `signal` may only cancel the wait for buffer memory: the ingest itself runs to the source's
        // end, so that a cut-off segment keeps what arrived.
        const r = await content.ingestChunks(lease, guarded, { encrypt, admission: signal });
        if (r.size === 0) return { session, sourceError, segmentSha256: r.sha256 };
        const entries = [...(await entriesOf(session.storeId, session.id)), ...r.manifest.entries];
        const now = new Date();
        const [row] = await db.transaction(async (tx) => {
          await lease.fence(tx);
          return tx
            .update(uploads)
            .set({
              manifest: encodeManifest(createManifest(entries)),
              committedSize: sql`${uploads.committedSize} + ${r.size}`,
              segments: sql`${uploads.segments} + 1`,
              updateTime: now,
              expireTime: new Date(now.getTime() + deps.ttlMs),
            })
            .where(and(eq(uploads.id, session.id), eq(uploads.state, "OPEN"), eq(uploads.committedSize, writeOffset)))
            .returning(sessionColumns);
        });
        if (!row) throw aborted("another stream wrote to this upload concurrently; check GetUpload and resume", "UPLOAD_CONCURRENT_WRITE");
        return { session: toSession(row), sourceError, segmentSha256: r.sha256 };
      });
    },

    /**
     * Turns the session's durable content into committed content. A single-segment session reuses
     * the hash computed while streaming; otherwise every chunk is read back and verified.
     */
    async finish(session: UploadSession, encrypt: boolean, expected: { sha256?: string; size?: number }, singleSegmentSha?: string): Promise<IngestResult> {
      const manifest = createManifest(await entriesOf(session.storeId, session.id));
      const knownSha256 = session.segments === 1 && singleSegmentSha ? parseDigest(singleSegmentSha) : undefined;
      return deps.leases.hold(session.storeId, (lease) => content.saveVerified(lease, manifest, encrypt, expected, { knownSha256 }));
    },

    async setState(storeId: string, id: string, from: UploadState, to: UploadState, snapshotId?: string): Promise<UploadSession | undefined> {
      const [row] = await db
        .update(uploads)
        .set({ state: to, snapshotId: snapshotId ?? null, updateTime: new Date() })
        .where(and(eq(uploads.storeId, storeId), eq(uploads.id, id), eq(uploads.state, from)))
        .returning(sessionColumns);
      return row && toSession(row);
    },
  };
}

