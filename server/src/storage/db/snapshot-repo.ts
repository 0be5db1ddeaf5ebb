import { and, eq, getTableColumns, gte, lt, sql, type SQL } from "drizzle-orm";
import { aborted, notFound, resourceVersionExists } from "../../domain/errors.js";
import type { ResourceKey, SnapshotCursor, SnapshotRepository } from "../../domain/ports.js";
import type { Snapshot, SnapshotFilter } from "../../domain/snapshots/types.js";
import type { Db } from "./client.js";
import { snapshotState } from "../../domain/audit/resource-states.js";
import { appendAuditTx } from "./audit-repo.js";
import { toSnapshot, toSnapshotRow } from "./mappers.js";
import { claimIdempotencyTx, findIdempotency } from "./idempotency-tx.js";
import { afterCursor, newestFirst } from "./keyset.js";
import { isUniqueViolation } from "./pg-errors.js";
import { boundedCount, countMatches, matchCountFrom } from "./match-count.js";
import type { MatchEstimates } from "./match-estimates.js";
import { snapshots } from "./schema/index.js";
import { unprotectedAt } from "./snapshot-protection-sql.js";

/** The partial unique index on (store, resource type, resource id, resource_version). */
export const RESOURCE_VERSION_INDEX = "snapshots_resource_version_idx";
import { insertVersionTx, nextVersionTx } from "./version-repo.js";

function where(f: SnapshotFilter): SQL {
  const c: (SQL | undefined)[] = [eq(snapshots.storeId, f.storeId)];
  if (!f.showDeleted) c.push(eq(snapshots.state, "ACTIVE"));
  if (f.resourceType) c.push(eq(snapshots.resourceType, f.resourceType));
  if (f.resourceId) c.push(eq(snapshots.resourceId, f.resourceId));
  if (f.tag) c.push(sql`${snapshots.tags} @> array[${f.tag}]::text[]`);
  if (f.createdBy) c.push(eq(snapshots.createdBy, f.createdBy));
  if (f.since) c.push(gte(snapshots.createTime, f.since));
  if (f.until) c.push(lt(snapshots.createTime, f.until));
  if (f.snapshotType) c.push(eq(snapshots.snapshotType, f.snapshotType));
  if (f.minSize) c.push(gte(snapshots.size, f.minSize));
  if (f.jobId) c.push(eq(snapshots.jobId, f.jobId));
  if (f.labelsMatch && Object.keys(f.labelsMatch).length) {
    c.push(sql`${snapshots.labels} @> ${JSON.stringify(f.labelsMatch)}::jsonb`);
  }
  return and(...c)!;
}

/**
 * One ListSnapshots page, newest first, plus one row to tell whether another page follows. Its
 * order and cursor are those of snapshots_store_time_idx, so a page reads about a page of rows
 * whatever the store's size and the page's depth. With `counted`, each row also carries the
 * filter's bounded count of matches (`matches`, match-count.ts), from the same statement.
 */
export const listPageQuery = (db: Db, filter: SnapshotFilter, pageSize: number, after?: SnapshotCursor, counted = false) =>
  db
    .select({ ...getTableColumns(snapshots), ...(counted ? { matches: boundedCount(db, snapshots, where(filter)) } : {}) })
    .from(snapshots)
    .where(and(where(filter), afterCursor(snapshots.createTime, snapshots.id, after)))
    .orderBy(...newestFirst(snapshots.createTime, snapshots.id))
    .limit(pageSize + 1);

/** The snapshots of one resource (any state). */
export const ofResource = (key: ResourceKey): SQL =>
  and(eq(snapshots.storeId, key.storeId), eq(snapshots.resourceType, key.resourceType), eq(snapshots.resourceId, key.resourceId))!;

/** `estimates` keeps the recent estimates of ListSnapshots' totals (match-estimates.ts). */
export function createSnapshotRepository(db: Db, estimates: MatchEstimates): SnapshotRepository {
  // Built once: GetSnapshot and every use-case that loads a snapshot run it, and building the query
  // per call cost more CPU than PostgreSQL spent answering it.
  const byId = db
    .select()
    .from(snapshots)
    .where(and(eq(snapshots.storeId, sql.placeholder("storeId")), eq(snapshots.id, sql.placeholder("id"))))
    .prepare("snapshot_by_id");

  /** The insert's transaction; unique violations surface as driver errors for `insert` to map. */
  function insertTx(...[s, opts]: Parameters<SnapshotRepository["insert"]>) {
    return db.transaction(async (tx) => {
      if (opts.idempotency) {
        const earlier = await claimIdempotencyTx(tx, { storeId: s.storeId, ...opts.idempotency, resultId: s.id, now: s.createTime });
        if (earlier) {
          const [row] = await tx.select().from(snapshots).where(eq(snapshots.id, earlier));
          return { snapshot: toSnapshot(row), replayed: true };
        }
      }
      // Lock order (snapshot-batch-repo.ts): the resource counter, then the content's rows.
      let version = 0;
      if (s.resourceId) {
        version = await nextVersionTx(tx, s);
      }
      await opts.content?.run(tx);
      const [row] = await tx
        .insert(snapshots)
        .values(toSnapshotRow(s, version))
        .returning();
      if (version > 0) {
        await insertVersionTx(tx, s, version, {
          snapshotId: s.id,
          authorId: s.createdBy,
          notes: "",
          message: opts.versionMessage,
          createTime: s.createTime,
        });
      }
      const created = toSnapshot(row);
      await appendAuditTx(tx, opts.audit, {
        storeId: s.storeId,
        action: "snapshot.create",
        resourceType: "snapshot",
        resourceId: s.id,
        before: null,
        after: snapshotState(created),
      });
      return { snapshot: created, replayed: false };
    });
  }

  return {
    async insert(s, opts) {
      try {
        return await insertTx(s, opts);
      } catch (err) {
        if (isUniqueViolation(err, RESOURCE_VERSION_INDEX)) throw resourceVersionExists(s.resourceType, s.resourceId, s.resourceVersion);
        throw err;
      }
    },

    async resourceVersionTaken(key) {
      const [row] = await db
        .select({ id: snapshots.id })
        .from(snapshots)
        .where(and(ofResource(key), eq(snapshots.resourceVersion, key.resourceVersion)))
        .limit(1);
      return row !== undefined;
    },

    findIdempotent(storeId, method, key) {
      return findIdempotency(db, storeId, method, key, new Date());
    },

    async get(storeId, id) {
      const [row] = await byId.execute({ storeId, id });
      return row && toSnapshot(row);
    },

    async list(filter, pageSize, after?: SnapshotCursor) {
      // A later page counts beside its query. A first page that holds every match has counted
      // them; otherwise it counts in its own statement, unless a recent estimate stands.
      const key = JSON.stringify(filter);
      const firstPage = async () => {
        const held = estimates.held(key);
        const r = await listPageQuery(db, filter, pageSize, undefined, held === undefined);
        if (r.length <= pageSize) return [r, { n: r.length, estimated: false }] as const;
        if (held !== undefined) return [r, { n: held, estimated: true }] as const;
        return [r, await estimates.count(key, () => matchCountFrom(db, snapshots, where(filter), r[0].matches!))] as const;
      };
      const [rows, total] = after
        ? await Promise.all([listPageQuery(db, filter, pageSize, after), estimates.count(key, () => countMatches(db, snapshots, where(filter)))])
        : await firstPage();
      const items = rows.slice(0, pageSize).map((r) => toSnapshot(r));
      const last = items[items.length - 1];
      return {
        items,
        next: rows.length > pageSize && last ? { createTime: last.createTime, id: last.id } : undefined,
        totalSize: total.n,
        totalSizeEstimated: total.estimated,
      };
    },

    async softDelete(storeId, id, at, expectedGeneration, audit) {
      // The row stays locked until commit, so when the conditional update matches nothing the
      // locked row is the current one and explains why: no second read.
      return db.transaction(async (tx) => {
        const [locked] = await tx
          .select()
          .from(snapshots)
          .where(and(eq(snapshots.storeId, storeId), eq(snapshots.id, id)))
          .for("update");
        const before = locked && toSnapshot(locked);
        const [row] = await tx
          .update(snapshots)
          .set({ state: "DELETED", deleteTime: at.deleteTime, purgeTime: at.purgeTime, generation: sql`${snapshots.generation} + 1` })
          .where(
            and(
              eq(snapshots.storeId, storeId),
              eq(snapshots.id, id),
              eq(snapshots.state, "ACTIVE"),
              expectedGeneration === undefined ? undefined : eq(snapshots.generation, expectedGeneration),
            ),
          )
          .returning();
        if (!row || !before) return settle(before, id, expectedGeneration);
        const after = toSnapshot(row);
        await appendAuditTx(tx, audit, {
          storeId,
          action: "snapshot.delete",
          resourceType: "snapshot",
          resourceId: id,
          before: snapshotState(before),
          after: snapshotState(after),
        });
        return after;
      });
    },

    async purge(storeId, id, expectedGeneration, audit) {
      const purged = await db.transaction(async (tx) => {
        const rows = await tx
        .delete(snapshots)
        .where(
          and(
            eq(snapshots.storeId, storeId),
            eq(snapshots.id, id),
            unprotectedAt(new Date()),
            expectedGeneration === undefined ? undefined : eq(snapshots.generation, expectedGeneration),
          ),
        )
        .returning();
        if (!rows[0]) return undefined;
        const before = toSnapshot(rows[0]);
        await appendAuditTx(tx, audit, {
          storeId,
          action: "snapshot.purge",
          resourceType: "snapshot",
          resourceId: id,
          before: snapshotState(before),
          after: null,
        });
        return before;
      });
      if (purged) return purged;
      const current = await this.get(storeId, id);
      if (!current) throw notFound("snapshot", id);
      throw aborted("snapshot changed concurrently; fetch it and retry", "CONCURRENT_MODIFICATION");
    },
  };
}

/** After a conditional update matched nothing: explain why. */
function settle(current: Snapshot | undefined, id: string, expectedGeneration?: number): Snapshot {
  if (!current) throw notFound("snapshot", id);
  if (expectedGeneration !== undefined && current.generation !== expectedGeneration) {
    throw aborted("etag does not match the snapshot's current etag", "ETAG_MISMATCH");
  }
  return current;
}
