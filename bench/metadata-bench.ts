/**
 * Metadata RPCs through the full stack (compiled server as `npm start` runs it, HTTP/2,
 * interceptors, audit) against raw SQL doing the same writes and reads on the same PostgreSQL, in
 * the same run: CreateSnapshot of a small JSON (no resource_id; versions spread over 1,000
 * resources), GetSnapshot and ListSnapshots (page of 50), with BENCH_META_SEED snapshots already in
 * the store. Load: h2load, 4 connections × 16 streams (wrk over HTTP/1.1 Connect, 64 connections,
 * where each request's body differs); baseline: pgbench, 8 clients, prepared statements, on a
 * comparable table (jsonb body, text[] tags, a btree and a GIN index).
 */
import { create, toBinary } from "@bufbuild/protobuf";
import postgres from "postgres";
import { SnapshotType } from "../gen/vellum/v1/snapshot_pb.js";
import {
  CreateSnapshotRequestSchema,
  GetSnapshotRequestSchema,
  ListSnapshotsRequestSchema,
} from "../gen/vellum/v1/snapshot_service_pb.js";
import { generateApiKey } from "../server/src/domain/auth/api-key.js";
import { createTestDatabase } from "../server/test/support/test-db.js";
import { tempDir } from "../server/test/support/test-server.js";
import { UNLIMITED_RATES } from "./catalog-server.js";
import { startCompiledServer } from "./compiled-server.js";
import { ensureTool, grpcFrame, h2load, pgbench, wrk, type LoadResult } from "./load-tools.js";
import type { BenchModule, Report } from "./report.js";
import { startBare } from "./transfer-bench.js";

const SECONDS = Number(process.env.BENCH_META_SECONDS) || 10;
const SEED = Number(process.env.BENCH_META_SEED) || 10_000;
const STORE = "bench";
const PRODUCT = JSON.stringify({ sku: "SKU-1", name: "Chair", price: 129.9, tags: ["oak"] });

const RAW_TABLE = `
  create table raw_products (id bigserial primary key, store_id text not null, resource_id text, body jsonb not null,
    tags text[] not null default '{}', create_time timestamptz not null default now());
  create index raw_products_store_time on raw_products (store_id, create_time desc, id desc);
  create index raw_products_tags on raw_products using gin (tags);`;

export const bench: BenchModule = {
  title: `Metadata RPCs (full stack, ${SEED} snapshots in the store) vs raw SQL on the same PostgreSQL`,
  async run(report: Report) {
    for (const t of ["h2load", "wrk", "pgbench"] as const) ensureTool(t);
    const db = await createTestDatabase();
    const dir = tempDir("vellum-bench-meta-");
    const env = { DATABASE_URL: db.url, VELLUM_DATA_DIR: dir.path, ...UNLIMITED_RATES };
    let server = await startCompiledServer(env, STORE);
    const sql = postgres(db.url, { max: 1, onnotice: () => undefined });
    try {
      const json = new TextEncoder().encode(PRODUCT);
      for (let i = 0; i < SEED; i += 1000) {
        const requests = Array.from({ length: Math.min(1000, SEED - i) }, (_, k) => ({
          resourceType: "product",
          snapshotType: SnapshotType.JSON,
          payload: { case: "data" as const, value: new TextEncoder().encode(JSON.stringify({ sku: `SKU-${i + k}`, price: k })) },
          tags: ["seed"],
        }));
        await server.client.batchCreateSnapshots({ storeId: STORE, requests });
      }
      await sql.unsafe(RAW_TABLE);
      await sql.unsafe(`insert into raw_products (store_id, body, tags)
        select '${STORE}', jsonb_build_object('sku', 'SKU-' || g, 'price', g), '{seed}' from generate_series(1, ${SEED}) g; analyze raw_products;`);
      const someId = (await server.client.listSnapshots({ storeId: STORE, pageSize: 1 })).snapshots[0].snapshotId;

      const o = { dir: dir.path, seconds: SECONDS, connections: 4, streams: 16 };
      const rpc = (m: string) => `${server.base}/vellum.v1.SnapshotService/${m}`;
      const countRows = async () => Number((await sql`select count(*) as n from snapshots where store_id = ${STORE}`)[0].n);
      const pgb = (script: string) => pgbench(db.url, script, { dir: dir.path, seconds: SECONDS, clients: 8 });
      /** Runs `load` and adds the server's CPU time per completed request to its result. */
      const measured = async (load: () => LoadResult | Promise<LoadResult>): Promise<LoadResult & { cpuMs?: number }> => {
        const c0 = server.cpu();
        const r = await load();
        return { ...r, cpuMs: ((server.cpu() - c0) * 1000) / Math.max(1, r.ok) };
      };
      const row = (name: string, v: LoadResult & { cpuMs?: number }, base: LoadResult, target: string) => {
        if (v.failed) console.log(`  ${name}: ${v.failed} requests failed`);
        const cpu = v.cpuMs !== undefined ? `, server CPU ${v.cpuMs.toFixed(2)} ms/req` : "";
        report({
          name: `${name} (p50 ${v.p50Ms.toFixed(1)} ms, p99 ${v.p99Ms.toFixed(1)} ms${cpu})`,
          value: v.rps,
          unit: "req/s",
          baseline: { name: "raw SQL", value: base.rps },
          ratio: v.rps / base.rps,
          target,
        });
      };

      // CreateSnapshot without resource_id. Every HTTP 200 must be a created snapshot (grpc-status 0):
      // h2load sees only the HTTP status, so the rows added are counted.
      const createBody = grpcFrame(
        toBinary(CreateSnapshotRequestSchema, create(CreateSnapshotRequestSchema, { storeId: STORE, resourceType: "product", snapshotType: SnapshotType.JSON, payload: { case: "data", value: json }, tags: ["new"] })),
      );
      let before = await countRows();
      const createPlain = await measured(() => h2load(rpc("CreateSnapshot"), createBody, o));
      const createdPlain = (await countRows()) - before;
      const rawInsert = pgb(`insert into raw_products (store_id, body, tags) values ('${STORE}', '${PRODUCT}', '{new}');`);
      row("CreateSnapshot, small JSON, no resource_id", createPlain, rawInsert, "≥ 0.5");
      console.log(`  HTTP 200: ${createPlain.ok}, snapshots created: ${createdPlain} (equal when every grpc-status was 0)`);

      // CreateSnapshot with versions spread over 1,000 resources: the body differs per request, so wrk + Lua over Connect.
      const lua = `wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  local body = '{"storeId":"${STORE}","resourceType":"product","resourceId":"r' .. math.random(1000) .. '","json":${PRODUCT}}'
  return wrk.format(nil, "/vellum.v1.SnapshotService/CreateSnapshot", nil, body)
end`;
      before = await countRows();
      const createVersioned = await measured(() => wrk(server.base, lua, { dir: dir.path, seconds: SECONDS, connections: 64 }));
      const createdVersioned = (await countRows()) - before;
      const rawVersioned = pgb(`\\set r random(1, 1000)\ninsert into raw_products (store_id, resource_id, body, tags) values ('${STORE}', 'r' || :r, '${PRODUCT}', '{new}');`);
      row("CreateSnapshot, versions over 1,000 resources (wrk, HTTP/1.1 Connect)", createVersioned, rawVersioned, "≥ 0.5");
      console.log(`  HTTP 200: ${createVersioned.ok}, snapshots created: ${createdVersioned}`);

      const getBody = grpcFrame(toBinary(GetSnapshotRequestSchema, create(GetSnapshotRequestSchema, { storeId: STORE, snapshotId: someId })));
      const get = await measured(() => h2load(rpc("GetSnapshot"), getBody, o));
      const rawGet = pgb(`\\set id random(1, ${SEED})\nselect * from raw_products where id = :id;`);
      row("GetSnapshot", get, rawGet, "≥ 0.5");
      // The ceiling of the RPC stack alone on this machine: the same connect-node stack answering a
      // fixed GetSnapshot, no database, no interceptors.
      const bare = await startBare();
      try {
        const ceiling = h2load(`http://127.0.0.1:${bare.port}/vellum.v1.SnapshotService/GetSnapshot`, getBody, o);
        row("bare connect-node GetSnapshot (no database): the stack's ceiling", ceiling, rawGet, "the best any ratio can be");
        report({ name: "GetSnapshot through Vellum / the bare stack", value: get.rps / ceiling.rps, unit: "x", target: "what the server itself costs" });
      } finally {
        bare.stop();
      }

      const listBody = grpcFrame(toBinary(ListSnapshotsRequestSchema, create(ListSnapshotsRequestSchema, { storeId: STORE, pageSize: 50 })));
      const list = await measured(() => h2load(rpc("ListSnapshots"), listBody, o));
      const rawList = pgb(`select * from raw_products where store_id = '${STORE}' order by create_time desc, id desc limit 51;`);
      row("ListSnapshots, page of 50", list, rawList, "≥ 0.5");

      // A sample of the reads through a gRPC client: each must answer OK.
      await Promise.all([...Array(20)].map(() => server.client.getSnapshot({ storeId: STORE, snapshotId: someId })));
      await server.client.listSnapshots({ storeId: STORE, pageSize: 50 });

      // The same with VELLUM_AUTH=required and an API key on every request.
      await server.stop();
      const key = generateApiKey().key;
      server = await startCompiledServer({ ...env, VELLUM_AUTH: "required", VELLUM_ADMIN_KEY: key, VELLUM_SHARE_SECRET: "b".repeat(43) }, STORE, key);
      const authed = { ...o, headers: [`authorization: Bearer ${key}`] };
      before = await countRows();
      const createAuthed = await measured(() => h2load(rpc("CreateSnapshot"), createBody, authed));
      row("CreateSnapshot, no resource_id, VELLUM_AUTH=required + API key", createAuthed, rawInsert, "≥ 0.5");
      console.log(`  HTTP 200: ${createAuthed.ok}, snapshots created: ${(await countRows()) - before}`);
      row("GetSnapshot, VELLUM_AUTH=required + API key", await measured(() => h2load(rpc("GetSnapshot"), getBody, authed)), rawGet, "≥ 0.5");
      await server.client.getSnapshot({ storeId: STORE, snapshotId: someId });
    } finally {
      await sql.end();
      await server.stop();
      await db.drop();
      dir.remove();
    }
  },
};
