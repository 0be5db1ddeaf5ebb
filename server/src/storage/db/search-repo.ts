import { and, desc, eq, getTableColumns, gte, inArray, lt, sql, type SQL } from "drizzle-orm";
import { FRAGMENT_SEPARATOR, HIGHLIGHT_MARKS, MATCH_END, MATCH_START, MAX_FRAGMENTS } from "../../domain/catalog/highlight.js";
import type { HighlightField, SearchFilters, SearchQuery, SearchRepository } from "../../domain/catalog/search-types.js";
import type { SnapshotType } from "../../domain/snapshots/types.js";
import type { Db } from "./client.js";
import { toSnapshot } from "./mappers.js";
import { snapshots } from "./schema/index.js";

/** The search vector column (maintained by trigger; deliberately not in the drizzle schema). */
const vector = sql`${snapshots}.search_vector`;

/**
 * The tsquery of the words: each word as a prefix, English-stemmed or as written, all required.
 * Words hold only letters, marks and digits (domain/catalog/search.ts) and travel as bound
 * parameters, quoted inside the tsquery text, so user input never becomes query syntax.
 */
function tsQuery(terms: readonly string[]): SQL {
  const each = terms.map((t) => {
    const lexeme = `'${t}':*`;
    return sql`(to_tsquery('english', ${lexeme}) || to_tsquery('simple', ${lexeme}))`;
  });
  return sql`(${sql.join(each, sql` && `)})`;
}

/** ts_rank_cd with weights {D, C, B, A}, normalised to rank / (rank + 1). */
const rankOf = (q: SQL) => sql<number>`ts_rank_cd('{0.1, 0.2, 0.4, 1.0}', ${vector}, ${q}, 32)`;

function filtersWhere(f: SearchFilters): SQL[] {
  const c: SQL[] = [eq(snapshots.storeId, f.storeId), eq(snapshots.state, "ACTIVE")];
  if (f.tags.length) c.push(sql`${snapshots.tags} @> array[${sql.join(f.tags.map((t) => sql`${t}`), sql`, `)}]::text[]`);
  if (f.resourceType) c.push(eq(snapshots.resourceType, f.resourceType));
  if (f.snapshotType) c.push(eq(snapshots.snapshotType, f.snapshotType));
  if (f.createdBy) c.push(eq(snapshots.createdBy, f.createdBy));
  if (f.since) c.push(gte(snapshots.createTime, f.since));
  if (f.until) c.push(lt(snapshots.createTime, f.until));
  if (f.labelsMatch && Object.keys(f.labelsMatch).length) c.push(sql`${snapshots.labels} @> ${JSON.stringify(f.labelsMatch)}::jsonb`);
  return c;
}

const matchWhere = (q: SearchQuery): SQL => and(...filtersWhere(q), q.terms.length ? sql`${vector} @@ (${tsQuery(q.terms)})` : undefined)!;

/** ts_headline options: private-use marks (made HTML by domain/catalog/highlight.ts). */
const EXCERPT = `StartSel=${MATCH_START}, StopSel=${MATCH_END}, MaxWords=30, MinWords=12`;
const WHOLE = `StartSel=${MATCH_START}, StopSel=${MATCH_END}, HighlightAll=true`;

/** ts_headline of `text` (marks removed first, so stored text cannot forge them). */
const headline = (config: "english" | "simple", text: SQL, q: SQL, options: string) =>
  sql`ts_headline(${config}::regconfig, translate(${text}, ${HIGHLIGHT_MARKS}, ''), ${q}, ${options})`;

/** Each highlighted field's headline: one excerpt, or one per matching annotation (newest first). */
const HEADLINES: Record<HighlightField, (q: SQL) => SQL> = {
  commit_message: (q) => headline("english", sql`${snapshots.commitMessage}`, q, EXCERPT),
  resource_id: (q) => headline("simple", sql`${snapshots.resourceId}`, q, WHOLE),
  resource_type: (q) => headline("simple", sql`${snapshots.resourceType}`, q, WHOLE),
  tags: (q) => headline("simple", sql`array_to_string(${snapshots.tags}, ' ')`, q, WHOLE),
  labels: (q) => headline("simple", sql`vellum_label_text(${snapshots.labels})`, q, EXCERPT),
  annotations: (q) => sql`(
    select coalesce(string_agg(${headline("english", sql`a.message`, q, EXCERPT)}, ${FRAGMENT_SEPARATOR} order by a.create_time desc, a.id desc), '')
    from (select message, create_time, id from snapshot_annotations a
          where a.snapshot_id = ${snapshots.id} and to_tsvector('english', a.message) @@ ${q}
          order by create_time desc, id desc limit ${MAX_FRAGMENTS}) a)`,
  created_by: (q) => headline("simple", sql`${snapshots.createdBy}`, q, WHOLE),
};

/** Snapshot search over the trigger-maintained, GIN-indexed search vector (`*_catalog_sql`). */
export function createSearchRepository(db: Db): SearchRepository {
  return {
    async page(query, limit, after) {
      const q = query.terms.length ? tsQuery(query.terms) : undefined;
      const score = q ? sql<number>`${rankOf(q)}::real` : sql<number>`0::real`;
      const rows = await db
        .select({ ...getTableColumns(snapshots), score })
        .from(snapshots)
        .where(
          and(
            matchWhere(query),
            after ? sql`(${score}, ${snapshots.createTime}, ${snapshots.id}) < (${after.score}::real, ${after.createTime.toISOString()}::timestamptz, ${after.id}::uuid)` : undefined,
          ),
        )
        .orderBy(desc(score), desc(snapshots.createTime), desc(snapshots.id))
        .limit(limit);
      const headlines = q && rows.length ? await headlinesOf(db, query.storeId, rows.map((r) => r.id), q) : new Map();
      return rows.map(({ score: s, ...row }) => ({ snapshot: toSnapshot(row), score: Number(s), headlines: headlines.get(row.id) ?? {} }));
    },

    async summary(query, facetLimit) {
      const facet = (name: string, value: SQL, from: SQL) =>
        sql`(select ${name}::text as f, ${value}::text as v, count(*) as n from ${from} group by 2 order by 3 desc, 2 limit ${facetLimit})`;
      const rows = await db.execute<{ f: string; v: string; n: string | number }>(sql`
        with m as materialized (
          select ${snapshots.resourceType} as resource_type, ${snapshots.snapshotType} as snapshot_type,
                 ${snapshots.createdBy} as created_by, ${snapshots.tags} as tags
          from ${snapshots} where ${matchWhere(query)}
        )
        select 'total' as f, '' as v, count(*) as n from m
        union all ${facet("resource_type", sql`resource_type`, sql`m`)}
        union all ${facet("snapshot_type", sql`snapshot_type`, sql`m`)}
        union all ${facet("created_by", sql`created_by`, sql`m`)}
        union all ${facet("tag", sql`tag`, sql`m, unnest(m.tags) as tag`)}`);
      const of = (f: string) => rows.filter((r) => r.f === f).map((r) => ({ value: r.v, count: Number(r.n) }));
      return {
        total: Number(rows.find((r) => r.f === "total")?.n ?? 0),
        facets: {
          resourceTypes: of("resource_type"),
          snapshotTypes: of("snapshot_type").map((c) => ({ value: c.value as SnapshotType, count: c.count })),
          tags: of("tag"),
          createdBy: of("created_by"),
        },
      };
    },

    async sample(filters, limit, window) {
      const ids = await db.execute<{ id: string }>(sql`
        with recent as (
          select ${snapshots.id} as id, ${snapshots.resourceType} as resource_type, ${snapshots.createTime} as create_time,
                 case when ${snapshots.resourceId} = '' then ${snapshots.id}::text else ${snapshots.resourceId} end as resource
          from ${snapshots} where ${and(...filtersWhere(filters))}
          order by ${snapshots.createTime} desc, ${snapshots.id} desc limit ${window}
        ),
        latest as (
          select distinct on (resource_type, resource) id, resource_type, create_time
          from recent order by resource_type, resource, create_time desc, id desc
        ),
        ranked as (
          select id, create_time, row_number() over (partition by resource_type order by create_time desc, id desc) as r from latest
        )
        select id from ranked order by r, create_time desc, id desc limit ${limit}`);
      if (ids.length === 0) return [];
      const rows = await db
        .select()
        .from(snapshots)
        .where(and(eq(snapshots.storeId, filters.storeId), inArray(snapshots.id, ids.map((r) => r.id))));
      const byId = new Map(rows.map((r) => [r.id, toSnapshot(r)]));
      return ids.flatMap((r) => byId.get(r.id) ?? []);
    },
  };
}

/** ts_headline of every highlighted field of the page's snapshots, keyed by snapshot id. */
async function headlinesOf(db: Db, storeId: string, ids: string[], q: SQL) {
  const fields = Object.entries(HEADLINES) as [HighlightField, (q: SQL) => SQL][];
  const columns = fields.map(([name, of]) => sql`${of(q)} as ${sql.identifier(name)}`);
  const rows = await db.execute<Record<string, string> & { id: string }>(sql`
    select ${snapshots.id} as id, ${sql.join(columns, sql`, `)}
    from ${snapshots} where ${snapshots.storeId} = ${storeId} and ${inArray(snapshots.id, ids)}`);
  return new Map(rows.map((r) => [r.id, Object.fromEntries(fields.map(([name]) => [name, r[name]]))]));
}
