import { sql, type SQL } from "drizzle-orm";
import type { SummaryDimension, SummaryGroup, UsageRepository, UsageSums } from "../../domain/usage/usage-use-cases.js";
import type { Db } from "./client.js";
import { chunks, packs, snapshots } from "./schema/index.js";
import { activePin, timestampParam } from "./snapshot-protection-sql.js";

type Row = Record<string, unknown>;
const num = (v: unknown) => Number(v ?? 0);

/** The usage aggregates of a set of snapshot rows, as of `now`. */
const usageColumns = (now: Date) => sql`
  count(*) filter (where ${snapshots.state} = 'ACTIVE') as snapshot_count,
  coalesce(sum(${snapshots.size}) filter (where ${snapshots.state} = 'ACTIVE'), 0) as logical_bytes,
  coalesce(sum(${snapshots.storedSize}) filter (where ${snapshots.state} = 'ACTIVE'), 0) as stored_bytes,
  coalesce(sum(${snapshots.size}) filter (where ${snapshots.state} = 'ACTIVE' and ${activePin(now)}), 0) as pinned_bytes,
  coalesce(sum(${snapshots.storedSize}) filter (where ${snapshots.state} = 'DELETED'), 0) as pending_reclaim_bytes,
  count(*) filter (where ${snapshots.state} = 'DELETED') as deleted_count`;

const sumsOf = (r: Row): UsageSums => ({
  snapshotCount: num(r.snapshot_count),
  logicalBytes: num(r.logical_bytes),
  storedBytes: num(r.stored_bytes),
  pinnedBytes: num(r.pinned_bytes),
  pendingReclaimBytes: num(r.pending_reclaim_bytes),
  deletedCount: num(r.deleted_count),
});

const KEYS: Record<Exclude<SummaryDimension, "TAG">, SQL> = {
  RESOURCE_TYPE: sql`${snapshots.resourceType}`,
  SNAPSHOT_TYPE: sql`${snapshots.snapshotType}`,
  CREATED_BY: sql`${snapshots.createdBy}`,
  DAY: sql`to_char(${snapshots.createTime} at time zone 'UTC', 'YYYY-MM-DD')`,
};

/**
 * Storage usage and summaries as aggregate SQL over the store's snapshot rows: one grouping-sets
 * query gives the per-snapshot-type, per-resource-type and total figures (the largest groups chosen
 * by a window function), one more unnests tags; the chunk index and pack table are summed for the
 * store's physical figures.
 */
export function createUsageRepository(db: Db): UsageRepository {
  const rows = async (q: SQL) => [...(await db.execute<Row>(q))];
  return {
    async usage(storeId, now, maxGroups) {
      const grouped = await rows(sql`
        select * from (
          select ${snapshots.snapshotType} as snapshot_type, ${snapshots.resourceType} as resource_type,
            grouping(${snapshots.snapshotType}) as g_type, grouping(${snapshots.resourceType}) as g_resource,
            ${usageColumns(now)},
            row_number() over (
              partition by grouping(${snapshots.snapshotType}), grouping(${snapshots.resourceType})
              order by coalesce(sum(${snapshots.size}) filter (where ${snapshots.state} = 'ACTIVE'), 0) desc, ${snapshots.snapshotType}, ${snapshots.resourceType}
            ) as rank
          from ${snapshots} where ${snapshots.storeId} = ${storeId}
          group by grouping sets ((${snapshots.snapshotType}), (${snapshots.resourceType}), ())
        ) g where rank <= ${maxGroups + 1}
        order by rank`);
      const byTag = await rows(sql`
        select tag, ${usageColumns(now)}
        from ${snapshots}, unnest(${snapshots.tags}) as tag
        where ${snapshots.storeId} = ${storeId}
        group by tag
        order by logical_bytes desc, tag
        limit ${maxGroups + 1}`);
      const [physical] = await rows(sql`
        select (select coalesce(sum(${chunks.length}), 0) from ${chunks} where ${chunks.storeId} = ${storeId}) as chunk_bytes,
               (select coalesce(sum(${packs.size}), 0) from ${packs} where ${packs.storeId} = ${storeId}) as pack_bytes`);
      const total = grouped.find((r) => num(r.g_type) === 1 && num(r.g_resource) === 1);
      return {
        total: total ? sumsOf(total) : sumsOf({}),
        bySnapshotType: grouped.filter((r) => num(r.g_type) === 0).map((r) => ({ key: String(r.snapshot_type), sums: sumsOf(r) })),
        byResourceType: grouped.filter((r) => num(r.g_resource) === 0).map((r) => ({ key: String(r.resource_type), sums: sumsOf(r) })),
        byTag: byTag.map((r) => ({ key: String(r.tag), sums: sumsOf(r) })),
        indexedChunkBytes: num(physical.chunk_bytes),
        packBytes: num(physical.pack_bytes),
      };
    },

    async summarize(filter, now, maxGroups) {
      const where = sql`${snapshots.storeId} = ${filter.storeId}
        ${filter.since ? sql`and ${snapshots.createTime} >= ${timestampParam(filter.since)}` : sql``}
        ${filter.until ? sql`and ${snapshots.createTime} < ${timestampParam(filter.until)}` : sql``}`;
      const columns = sql`count(*) as snapshot_count,
        coalesce(sum(${snapshots.size}), 0) as bytes_ingested,
        coalesce(sum(${snapshots.storedSize}), 0) as stored_bytes,
        count(*) filter (where ${snapshots.state} = 'ACTIVE' and ${activePin(now)}) as pinned_count,
        count(*) filter (where ${snapshots.state} = 'DELETED') as deleted_count`;
      const from = filter.by === "TAG" ? sql`${snapshots}, unnest(${snapshots.tags}) as key` : sql`${snapshots}`;
      const key = filter.by === "TAG" ? sql`key` : KEYS[filter.by];
      const groups = await rows(sql`
        select ${key} as key, ${columns} from ${from} where ${where}
        group by 1 order by bytes_ingested desc, 1 limit ${maxGroups + 1}`);
      const [total] = await rows(sql`select '' as key, ${columns} from ${snapshots} where ${where}`);
      const group = (r: Row): SummaryGroup => ({
        key: String(r.key),
        snapshotCount: num(r.snapshot_count),
        bytesIngested: num(r.bytes_ingested),
        storedBytes: num(r.stored_bytes),
        pinnedCount: num(r.pinned_count),
        deletedCount: num(r.deleted_count),
      });
      return { groups: groups.map(group), total: group(total) };
    },
  };
}
