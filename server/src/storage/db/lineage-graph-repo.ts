import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { GraphEdge, LineageGraphRepository } from "../../domain/lineage/graph-types.js";
import { UUID_RE } from "../../domain/validate.js";
import type { Db } from "./client.js";
import { toJob, toSnapshot, toVersion } from "./mappers.js";
import { jobs, snapshots, versions, type LineageEdgeRow } from "./schema/index.js";
import { ofResource } from "./snapshot-repo.js";
import { newestFirst } from "./keyset.js";

/** A lineage_edges row as raw SQL returns it. */
type RawEdge = {
  kind: string;
  from_kind: string;
  from_id: string;
  to_kind: string;
  to_id: string;
  job_id: string | null;
  ordinal: number;
  note: string;
  create_time: Date | string;
};

export function toGraphEdge(r: RawEdge): GraphEdge {
  return {
    kind: r.kind,
    from: { kind: r.from_kind, id: r.from_id },
    to: { kind: r.to_kind, id: r.to_id },
    jobId: r.job_id ?? undefined,
    ordinal: r.ordinal,
    note: r.note,
    createTime: new Date(r.create_time),
  };
}

export const rowToGraphEdge = (r: LineageEdgeRow): GraphEdge =>
  toGraphEdge({ ...r, from_kind: r.fromKind, from_id: r.fromId, to_kind: r.toKind, to_id: r.toId, job_id: r.jobId, create_time: r.createTime });

const uuids = (ids: readonly string[]) => [...new Set(ids.filter((id) => UUID_RE.test(id)).map((id) => id.toLowerCase()))];

/**
 * GetLineage's reads. An edge batch joins the frontier (one JSON parameter) to lineage_edges through
 * the index of the walk's direction, each node's edges in id order under a LIMIT, so a hub node
 * with many edges costs no more than the limit.
 */
export function createLineageGraphRepository(db: Db): LineageGraphRepository {
  return {
    async edges(storeId, nodes, direction, limit) {
      if (nodes.length === 0 || limit <= 0) return [];
      const [near, nearId] = direction === "DOWNSTREAM" ? [sql`from_kind`, sql`from_id`] : [sql`to_kind`, sql`to_id`];
      const frontier = JSON.stringify(nodes.map((n) => ({ k: n.kind, i: n.id })));
      const rows = await db.execute<RawEdge>(sql`
        select e.kind, e.from_kind, e.from_id, e.to_kind, e.to_id, e.job_id, e.ordinal, e.note, e.create_time
        from json_to_recordset(${frontier}::json) as f(k text, i text)
        cross join lateral (
          select * from lineage_edges x
          where x.store_id = ${storeId} and x.${near} = f.k and x.${nearId} = f.i
          order by x.id
          limit ${limit}
        ) e
        limit ${limit}`);
      return [...rows].map(toGraphEdge);
    },

    async versionsOf(storeId, snapshotIds, limit) {
      const ids = uuids(snapshotIds);
      if (ids.length === 0 || limit <= 0) return [];
      const rows = await db
        .select()
        .from(versions)
        .where(and(eq(versions.storeId, storeId), inArray(versions.snapshotId, ids)))
        .orderBy(versions.snapshotId, versions.version)
        .limit(limit);
      return rows.map(toVersion);
    },

    async rootsOfResource(key, limit) {
      const [snaps, vers] = await Promise.all([
        db.select().from(snapshots).where(ofResource(key)).orderBy(...newestFirst(snapshots.createTime, snapshots.id)).limit(limit),
        db
          .select()
          .from(versions)
          .where(and(eq(versions.storeId, key.storeId), eq(versions.resourceType, key.resourceType), eq(versions.resourceId, key.resourceId)))
          .orderBy(desc(versions.version))
          .limit(limit),
      ]);
      const now = new Date();
      return { snapshots: snaps.map((r) => toSnapshot(r, now)), versions: vers.map(toVersion) };
    },

    async snapshots(storeId, ids) {
      const wanted = uuids(ids);
      if (wanted.length === 0) return [];
      const now = new Date();
      const rows = await db.select().from(snapshots).where(and(eq(snapshots.storeId, storeId), inArray(snapshots.id, wanted)));
      return rows.map((r) => toSnapshot(r, now));
    },

    async jobs(storeId, ids) {
      const wanted = uuids(ids);
      if (wanted.length === 0) return [];
      const rows = await db.select().from(jobs).where(and(eq(jobs.storeId, storeId), inArray(jobs.id, wanted)));
      return rows.map(toJob);
    },
  };
}
