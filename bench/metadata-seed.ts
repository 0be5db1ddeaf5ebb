/**
 * Fills the metadata bench's store and its raw-SQL twin to a given number of rows, the fastest way
 * the bench can: the first `API_SEED` snapshots through BatchCreateSnapshots (real content, chunks,
 * audit), the rest as SQL copies of those rows with fresh ids, so every copy is a snapshot the server
 * can read. Both tables get the same spread of filter values:
 * - resource_type `category` on 1 row in 4, `product` otherwise;
 * - tags `seed` and `batch-<g mod 100>` (1% per batch tag);
 * - labels `{"env": "prod"}` on 1 row in 10, `dev` otherwise;
 * - create_time: now for the API-created rows; a copy numbered g was created g seconds ago, so
 *   `since` an hour ago matches the API-created rows and the bench's own creates at any size.
 */
import type postgres from "postgres";
import type { Client } from "@connectrpc/connect";
import { SnapshotType } from "../gen/vellum/v1/snapshot_pb.js";
import type { SnapshotService } from "../gen/vellum/v1/snapshot_service_pb.js";

/** Snapshots created through the API before SQL copies take over. */
const API_SEED = 10_000;

export const RAW_TABLE = `
  create table raw_products (id bigserial primary key, store_id text not null, resource_type text not null,
    resource_id text not null default '', body jsonb not null, tags text[] not null default '{}',
    labels jsonb not null default '{}', create_time timestamptz not null default now());
  create index raw_products_store_time on raw_products (store_id, create_time desc, id desc);
  create index raw_products_resource on raw_products (store_id, resource_type, resource_id, create_time desc);
  create index raw_products_tags on raw_products using gin (tags);
  create index raw_products_labels on raw_products using gin (labels jsonb_path_ops);`;

const typeOf = (g: number) => (g % 4 === 0 ? "category" : "product");
const envOf = (g: number) => (g % 10 === 0 ? "prod" : "dev");

/** Grows both tables from `from` to `to` rows in `store`; returns the seconds it took. */
export async function seedTo(sql: postgres.Sql, client: Client<typeof SnapshotService>, store: string, from: number, to: number): Promise<number> {
  const t0 = performance.now();
  const encoder = new TextEncoder();
  for (let i = from; i < Math.min(to, API_SEED); i += 1000) {
    const requests = Array.from({ length: Math.min(1000, Math.min(to, API_SEED) - i) }, (_, k) => {
      const g = i + k + 1;
      return {
        resourceType: typeOf(g),
        snapshotType: SnapshotType.JSON,
        payload: { case: "data" as const, value: encoder.encode(JSON.stringify({ sku: `SKU-${g}`, price: g })) },
        tags: ["seed", `batch-${g % 100}`],
        labels: { env: envOf(g) },
      };
    });
    await client.batchCreateSnapshots({ storeId: store, requests });
  }
  if (to > API_SEED) {
    // Copies of the API-created rows, cycling through them, with the same spread as above. The
    // secondary indexes are dropped for the copy and rebuilt from their own definitions after it:
    // one index build is many times faster than a million GIN inserts.
    const indexes = await sql<{ name: string; def: string }[]>`
      select indexname as name, indexdef as def from pg_indexes
      where schemaname = current_schema() and tablename = 'snapshots'
        and indexname not in (select conname from pg_constraint where conrelid = 'snapshots'::regclass)`;
    for (const i of indexes) await sql.unsafe(`drop index "${i.name}"`);
    await sql`
      insert into snapshots
      select (jsonb_populate_record(src.s, jsonb_build_object(
        'id', gen_random_uuid(),
        'resource_type', case when g % 4 = 0 then 'category' else 'product' end,
        'tags', array['seed', 'batch-' || (g % 100)],
        'labels', jsonb_build_object('env', case when g % 10 = 0 then 'prod' else 'dev' end),
        'create_time', now() - make_interval(secs => g)))).*
      from generate_series(${Math.max(from, API_SEED) + 1}::int, ${to}::int) g
      join (
        select s, (row_number() over (order by s.create_time, s.id) - 1)::int as k
        from snapshots s where s.store_id = ${store} and s.tags @> '{seed}'
      ) src on src.k = g % ${API_SEED}`;
    for (const i of indexes) await sql.unsafe(i.def);
  }
  await sql`
    insert into raw_products (store_id, resource_type, body, tags, labels, create_time)
    select ${store}, case when g % 4 = 0 then 'category' else 'product' end,
      jsonb_build_object('sku', 'SKU-' || g, 'price', g), array['seed', 'batch-' || (g % 100)],
      jsonb_build_object('env', case when g % 10 = 0 then 'prod' else 'dev' end),
      case when g <= ${API_SEED} then now() else now() - make_interval(secs => g) end
    from generate_series(${from + 1}::int, ${to}::int) g`;
  await sql`analyze snapshots`;
  await sql`analyze raw_products`;
  return (performance.now() - t0) / 1000;
}
