import { randomUUID } from "node:crypto";
import { and, eq, gt, lt, min, sql } from "drizzle-orm";
import { aborted } from "../../domain/errors.js";
import type { Tx } from "../db/audit-repo.js";
import type { Db } from "../db/client.js";
import { ingestLeases } from "../db/schema/index.js";

/** A held lease. `fence` runs inside the transaction that saves what the lease protected. */
export interface IngestLease {
  readonly storeId: string;
  /**
   * Fails with ABORTED unless the lease is still held, and keeps reclaim from declaring it dead
   * until the transaction ends (the row is share-locked). Call it in the transaction that saves the
   * manifest (or session) referencing the chunks, so a lease that lapsed cannot save a manifest
   * whose chunks reclaim may have removed.
   */
  fence(tx: Tx): Promise<void>;
}

export interface IngestLeaseOptions {
  /** How often a held lease is renewed; default 30 s. */
  renewMs?: number;
  /** A lease not renewed for this long is dead; default 5 min. Must be well above renewMs. */
  staleMs?: number;
}

/**
 * Ingest leases (schema: `ingest_leases`). Every operation that writes chunks or decides to reuse
 * them holds one from before its first chunk until what references them is saved. Reclaim, in this
 * order: drops dead leases (`dropStale`), reads each store's `floor` (the start of its oldest lease),
 * then its live manifests, and deletes nothing seen or written since the floor. So an upload that
 * runs longer than the grace period keeps its chunks, and an operation whose lease was dropped as
 * dead cannot commit (its `fence` fails). A lease is deleted when its operation succeeds; one whose
 * operation failed is marked stale instead, and dropping it makes reclaim visit its store (a store
 * with no pack row would otherwise never be visited, and its unindexed packs never swept).
 */
/** The renew time of a lease marked stale: older than any staleness limit. */
const MARKED_STALE = new Date(0);

export function createIngestLeases(db: Db, opts: IngestLeaseOptions = {}) {
  const renewMs = opts.renewMs ?? 30_000;
  const staleMs = opts.staleMs ?? 5 * 60_000;

  return {
    /** Runs `fn` holding a lease on `storeId`, renewed until `fn` settles and then released. */
    async hold<T>(storeId: string, fn: (lease: IngestLease) => Promise<T>): Promise<T> {
      const id = randomUUID();
      await db.insert(ingestLeases).values({ id, storeId });
      let lost = false;
      const timer = setInterval(() => {
        db.update(ingestLeases)
          .set({ renewTime: sql`now()` })
          // Not one marked stale: a renewal still in flight when the operation failed must not revive it.
          .where(and(eq(ingestLeases.id, id), gt(ingestLeases.renewTime, MARKED_STALE)))
          .returning({ id: ingestLeases.id })
          .then((rows) => (lost ||= rows.length === 0), () => undefined); // a failed renewal is retried by the next tick
      }, renewMs).unref();
      const lease: IngestLease = {
        storeId,
        async fence(tx) {
          const held = lost ? [] : await tx.execute(sql`select 1 from ingest_leases where id = ${id} for share`);
          if (held.length === 0) {
            lost = true;
            throw aborted("the operation's ingest lease lapsed (it could not be renewed for too long); retry it", "INGEST_LEASE_LOST");
          }
        },
      };
      let succeeded = false;
      try {
        const result = await fn(lease);
        succeeded = true;
        return result;
      } finally {
        clearInterval(timer);
        // A failed operation's lease is marked stale instead of deleted: the next reclaim drops it
        // first thing (so it pins nothing) and visits its store, where the operation may have left
        // a durable pack it could not index (the database was unreachable; then this statement
        // fails too, and the lease goes stale on its own).
        const where = eq(ingestLeases.id, id);
        await (succeeded ? db.delete(ingestLeases).where(where) : db.update(ingestLeases).set({ renewTime: MARKED_STALE }).where(where)).catch(() => undefined);
      }
    },

    /**
     * Deletes leases not renewed within `staleMs`: their processes are gone, or their operations
     * failed. Returns the stores they were held on (once each), which reclaim then visits.
     */
    async dropStale(): Promise<{ dropped: number; stores: string[] }> {
      const gone = await db
        .delete(ingestLeases)
        .where(lt(ingestLeases.renewTime, sql`now() - make_interval(secs => ${staleMs / 1000})`))
        .returning({ storeId: ingestLeases.storeId });
      return { dropped: gone.length, stores: [...new Set(gone.map((g) => g.storeId))] };
    },

    /**
     * Leaves a lease row on `storeId` that is stale already, so the next reclaim drops it and visits
     * the store: reclaim's retry for a store it found only through a dropped lease and then failed.
     */
    async markForReclaim(storeId: string): Promise<void> {
      await db.insert(ingestLeases).values({ id: randomUUID(), storeId, renewTime: MARKED_STALE });
    },

    /** Start of the store's oldest lease, if any is held. */
    async floor(storeId: string): Promise<Date | undefined> {
      const [row] = await db.select({ start: min(ingestLeases.startTime) }).from(ingestLeases).where(eq(ingestLeases.storeId, storeId));
      return row?.start ?? undefined;
    },
  };
}

export type IngestLeases = ReturnType<typeof createIngestLeases>;
