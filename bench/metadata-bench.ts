/**
 * Metadata RPCs through the full stack (compiled server as `npm start` runs it, HTTP/2,
 * interceptors, audit) against raw SQL doing the same writes and reads on the same PostgreSQL, in
 * the same run: CreateSnapshot of a small JSON (no resource_id; versions spread over 1,000
 * resources), GetSnapshot, ListSnapshots (page of 50, unfiltered and with each filter), and the
 * same with VELLUM_AUTH=required and an API key. Every figure is measured at each store size in
 * BENCH_META_SEEDS (default 10,000 and 1,000,000 snapshots already in the store; seeding in
 * bench/metadata-seed.ts), then how it moved between the sizes. Load: h2load, 4 connections × 16
 * streams (wrk over HTTP/1.1 Connect, 64 connections, where each request's body differs);
 * baseline: pgbench, 8 clients, prepared statements, on a comparable table with the same indexes.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import postgres from "postgres";
import { SnapshotType } from "../gen/vellum/v1/snapshot_pb.js";
import {
  CreateSnapshotRequestSchema,
  GetSnapshotRequestSchema,
  ListSnapshotsRequestSchema,
  type ListSnapshotsRequest,
} from "../gen/vellum/v1/snapshot_service_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { generateApiKey } from "../server/src/domain/auth/api-key.js";
import { createTestDatabase } from "../server/test/support/test-db.js";
import { tempDir } from "../server/test/support/test-server.js";
import { UNLIMITED_RATES } from "./catalog-server.js";
import { startCompiledServer } from "./compiled-server.js";
import { ensureTool, grpcFrame, h2load, pgbench, wrk, type LoadResult } from "./load-tools.js";
import { RAW_TABLE, seedTo } from "./metadata-seed.js";
import type { BenchModule, Report } from "./report.js";
import { startBare } from "./transfer-bench.js";

const SECONDS = Number(process.env.BENCH_META_SECONDS) || 10;
const SEEDS = (process.env.BENCH_META_SEEDS ?? "10000,1000000").split(",").map(Number);
const STORE = "bench";
const PRODUCT = JSON.stringify({ sku: "SKU-1", name: "Chair", price: 129.9, tags: ["oak"] });

/** A load's result, the server's CPU per completed request, and the gRPC status codes the server answered during it. */
type Measured = LoadResult & { cpuMs?: number; codes?: Map<string, number> };

/** The ListSnapshots loads: each request and the raw SELECT that answers the same page. */
function listLoads(since: Date): { name: string; req: MessageInitShape<typeof ListSnapshotsRequestSchema>; raw: string }[] {
  const page = `order by create_time desc, id desc limit 51`;
  const s = `store_id = '${STORE}'`;
  return [
    { name: "ListSnapshots, page of 50", req: {}, raw: `select * from raw_products where ${s} ${page};` },
    { name: "ListSnapshots, resource_type", req: { resourceType: "category" }, raw: `select * from raw_products where ${s} and resource_type = 'category' ${page};` },
    { name: "ListSnapshots, tag (1% match)", req: { tag: "batch-7" }, raw: `select * from raw_products where ${s} and tags @> array['batch-7'] ${page};` },
    { name: "ListSnapshots, labels_match (10%)", req: { labelsMatch: { env: "prod" } }, raw: `select * from raw_products where ${s} and labels @> '{"env":"prod"}' ${page};` },
    { name: "ListSnapshots, since an hour ago", req: { since: timestampFromDate(since) }, raw: `select * from raw_products where ${s} and create_time >= '${since.toISOString()}' ${page};` },
  ];
}

export const bench: BenchModule = {
  title: `Metadata RPCs (full stack, ${SEEDS.join(" then ")} snapshots in the store) vs raw SQL on the same PostgreSQL`,
  async run(report: Report) {
    for (const t of ["h2load", "wrk", "pgbench"] as const) ensureTool(t);
    const db = await createTestDatabase();
    const dir = tempDir("vellum-bench-meta-");
    const env = { DATABASE_URL: db.url, VELLUM_DATA_DIR: dir.path, ...UNLIMITED_RATES };
    const key = generateApiKey().key;
    const authedEnv = { ...env, VELLUM_AUTH: "required", VELLUM_ADMIN_KEY: key, VELLUM_SHARE_SECRET: "b".repeat(43) };
    let server = await startCompiledServer(env, STORE);
    const sql = postgres(db.url, { max: 1, onnotice: () => undefined });
    const bySize = new Map<string, { value: number; ratio?: number }[]>();
    try {
      await sql.unsafe(RAW_TABLE);
      let seeded = 0;
      for (const size of SEEDS) {
        const seconds = await seedTo(sql, server.client, STORE, seeded, size);
        seeded = size;
        console.log(`  seeded ${size.toLocaleString("en")} snapshots (and raw rows) in ${seconds.toFixed(1)} s`);
        const record: Report = (r) => {
          const label = r.name.replace(/ \(p50.*$/, "");
          bySize.set(label, [...(bySize.get(label) ?? []), { value: r.value, ratio: r.ratio }]);
          report({ ...r, name: `[${size.toLocaleString("en")}] ${r.name}` });
        };
        server = await measureAt(sql, db.url, dir.path, server, { env, authedEnv, key, size }, record);
      }
      if (SEEDS.length > 1) {
        for (const [label, values] of bySize) {
          const [first, last] = [values[0], values.at(-1)!];
          // A count (the non-OK answers) has no rate to compare; each size reports its own.
          if (values.length < 2 || first.value === 0) continue;
          const ratios = first.ratio !== undefined && last.ratio !== undefined ? `, ratio to raw SQL ${first.ratio.toFixed(3)} → ${last.ratio.toFixed(3)}` : "";
          report({ name: `${label}: at ${SEEDS.at(-1)!.toLocaleString("en")} / at ${SEEDS[0].toLocaleString("en")}${ratios}`, value: last.value / first.value, unit: "x", target: "≈ 1 (does not fall as the store grows)" });
        }
      }
    } finally {
      await sql.end();
      await server.stop();
      await db.drop();
      dir.remove();
    }
  },
};

type Server = Awaited<ReturnType<typeof startCompiledServer>>;

/** Every metadata figure at the current store size; returns the (restarted, unauthenticated) server. */
async function measureAt(
  sql: postgres.Sql,
  url: string,
  dir: string,
  server: Server,
  o: { env: Record<string, string>; authedEnv: Record<string, string>; key: string; size: number },
  report: Report,
): Promise<Server> {
  const json = new TextEncoder().encode(PRODUCT);
  const someId = (await server.client.listSnapshots({ storeId: STORE, pageSize: 1 })).snapshots[0].snapshotId;
  const load = { dir, seconds: SECONDS, connections: 4, streams: 16 };
  const rpc = (m: string) => `${server.base}/vellum.v1.SnapshotService/${m}`;
  const countRows = async () => Number((await sql`select count(*) as n from snapshots where store_id = ${STORE}`)[0].n);
  const pgb = (script: string) => pgbench(url, script, { dir, seconds: SECONDS, clients: 8 });
  let nonOkTotal = 0;
  /**
   * An INSERT baseline: its rows are deleted after it (and the table vacuumed), so the raw table
   * stays the size of the store for the read baselines; the store keeps its few thousand creates.
   */
  const pgbInserts = async (script: string) => {
    const [{ max }] = await sql`select coalesce(max(id), 0)::bigint as max from raw_products`;
    const r = pgb(script);
    await sql`delete from raw_products where id > ${max}`;
    await sql`vacuum analyze raw_products`;
    return r;
  };
  /**
   * Runs `run` (a load of `method` calls) and adds to its result the server's CPU time per
   * completed request and the status codes the server answered meanwhile (h2load and wrk see only
   * HTTP statuses; a gRPC error travels in the trailers of an HTTP 200).
   */
  const measured = async (method: string, run: () => LoadResult | Promise<LoadResult>): Promise<Measured> => {
    const before = await server.statusCodes(method);
    const c0 = server.cpu();
    const r = await run();
    const cpuMs = ((server.cpu() - c0) * 1000) / Math.max(1, r.ok);
    const codes = new Map<string, number>();
    for (const [code, n] of await server.statusCodes(method)) if (n > (before.get(code) ?? 0)) codes.set(code, n - (before.get(code) ?? 0));
    return { ...r, cpuMs, codes };
  };
  const row = (name: string, v: Measured, base: LoadResult, target: string) => {
    if (v.failed) console.log(`  ${name}: ${v.failed} requests failed`);
    if (v.codes) {
      // `canceled`: calls the load generator abandoned when it stopped (at most one per stream in
      // flight); their clients never read an answer. Every other non-OK code is a failure.
      const nonOk = [...v.codes].filter(([code]) => code !== "ok" && code !== "canceled");
      const total = nonOk.reduce((n, [, k]) => n + k, 0);
      nonOkTotal += total;
      const abandoned = v.codes.get("canceled") ?? 0;
      console.log(`  ${name}: grpc-status ok ${v.codes.get("ok") ?? 0}, non-OK ${total}${nonOk.length ? ` (${nonOk.map(([c, k]) => `${c} ${k}`).join(", ")})` : ""}, abandoned at the load's end ${abandoned}`);
    }
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

  // CreateSnapshot without resource_id. h2load sees only HTTP statuses: the server's own count of
  // status codes (measured) tells the gRPC outcome, and the rows added are counted as well.
  const createBody = grpcFrame(
    toBinary(CreateSnapshotRequestSchema, create(CreateSnapshotRequestSchema, { storeId: STORE, resourceType: "product", snapshotType: SnapshotType.JSON, payload: { case: "data", value: json }, tags: ["new"] })),
  );
  let before = await countRows();
  const createPlain = await measured("CreateSnapshot", () => h2load(rpc("CreateSnapshot"), createBody, load));
  const createdPlain = (await countRows()) - before;
  const rawInsert = await pgbInserts(`insert into raw_products (store_id, resource_type, body, tags) values ('${STORE}', 'product', '${PRODUCT}', '{new}');`);
  row("CreateSnapshot, small JSON, no resource_id", createPlain, rawInsert, "≥ 0.5");
  console.log(`  HTTP 200: ${createPlain.ok}, snapshots created: ${createdPlain} (calls abandoned at the end of the load may still commit)`);

  // CreateSnapshot with versions spread over 1,000 resources: the body differs per request, so wrk + Lua over Connect.
  const lua = `wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  local body = '{"storeId":"${STORE}","resourceType":"product","resourceId":"r' .. math.random(1000) .. '","json":${PRODUCT}}'
  return wrk.format(nil, "/vellum.v1.SnapshotService/CreateSnapshot", nil, body)
end`;
  before = await countRows();
  const createVersioned = await measured("CreateSnapshot", () => wrk(server.base, lua, { dir, seconds: SECONDS, connections: 64 }));
  const createdVersioned = (await countRows()) - before;
  const rawVersioned = await pgbInserts(`\\set r random(1, 1000)\ninsert into raw_products (store_id, resource_type, resource_id, body, tags) values ('${STORE}', 'product', 'r' || :r, '${PRODUCT}', '{new}');`);
  row("CreateSnapshot, versions over 1,000 resources (wrk, HTTP/1.1 Connect)", createVersioned, rawVersioned, "≥ 0.5");
  console.log(`  HTTP 200: ${createVersioned.ok}, snapshots created: ${createdVersioned}`);

  const getBody = grpcFrame(toBinary(GetSnapshotRequestSchema, create(GetSnapshotRequestSchema, { storeId: STORE, snapshotId: someId })));
  const get = await measured("GetSnapshot", () => h2load(rpc("GetSnapshot"), getBody, load));
  const rawGet = pgb(`\\set id random(1, ${o.size})\nselect * from raw_products where id = :id;`);
  row("GetSnapshot", get, rawGet, "≥ 0.5");
  // The ceiling of the RPC stack alone on this machine: the same connect-node stack answering a
  // fixed GetSnapshot, no database, no interceptors.
  const bare = await startBare();
  try {
    const ceiling = h2load(`http://127.0.0.1:${bare.port}/vellum.v1.SnapshotService/GetSnapshot`, getBody, load);
    row("bare connect-node GetSnapshot (no database): the stack's ceiling", ceiling, rawGet, "the best any ratio can be");
    report({ name: "GetSnapshot through Vellum / the bare stack", value: get.rps / ceiling.rps, unit: "x", target: "what the server itself costs" });
  } finally {
    bare.stop();
  }

  for (const l of listLoads(new Date(Date.now() - 3_600_000))) {
    const req: ListSnapshotsRequest = create(ListSnapshotsRequestSchema, { storeId: STORE, pageSize: 50, ...l.req });
    const v = await measured("ListSnapshots", () => h2load(rpc("ListSnapshots"), grpcFrame(toBinary(ListSnapshotsRequestSchema, req)), load));
    row(l.name, v, pgb(l.raw), "≥ 0.5");
    // A sample through a gRPC client: it must answer OK, a full page.
    const page = await server.client.listSnapshots(req);
    console.log(`  ${l.name}: sample page ${page.snapshots.length}, total_size ${page.totalSize}${page.totalSizeEstimated ? " (estimate)" : ""}`);
  }

  // A sample of the reads through a gRPC client: each must answer OK.
  await Promise.all([...Array(20)].map(() => server.client.getSnapshot({ storeId: STORE, snapshotId: someId })));

  // The same with VELLUM_AUTH=required and an API key on every request.
  await server.stop();
  server = await startCompiledServer(o.authedEnv, STORE, o.key);
  const authed = { ...load, headers: [`authorization: Bearer ${o.key}`] };
  before = await countRows();
  const createAuthed = await measured("CreateSnapshot", () => h2load(rpc("CreateSnapshot"), createBody, authed));
  row("CreateSnapshot, no resource_id, VELLUM_AUTH=required + API key", createAuthed, rawInsert, "≥ 0.5");
  console.log(`  HTTP 200: ${createAuthed.ok}, snapshots created: ${(await countRows()) - before}`);
  row("GetSnapshot, VELLUM_AUTH=required + API key", await measured("GetSnapshot", () => h2load(rpc("GetSnapshot"), getBody, authed)), rawGet, "≥ 0.5");
  await server.client.getSnapshot({ storeId: STORE, snapshotId: someId });
  report({ name: "non-OK grpc-status among the loads' answered calls (server's count by code)", value: nonOkTotal, unit: "responses", target: "0" });
  await server.stop();
  return startCompiledServer(o.env, STORE);
}
