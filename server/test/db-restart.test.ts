import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { Health, HealthCheckResponse_ServingStatus as Serving } from "../../gen/grpc/health/v1/health_pb.js";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { startPgCluster, type PgCluster } from "./support/pg-cluster.js";
import { startServerProcess, type ServerProcess } from "./support/server-process.js";
import { tempDir } from "./support/test-server.js";

/**
 * A PostgreSQL restart under load (`pg_ctl restart -m immediate`, as a failover does) against the
 * real server process on a cluster of the test's own: the process stays up, health goes NOT_SERVING
 * during the outage and SERVING after, writes succeed again within 10 s, every acknowledged
 * snapshot is readable, and no call answers INTERNAL.
 */
const test = suite("database restart under load (own PostgreSQL 15 cluster, server process)");

const CLIENTS = 8;
/** Writes must succeed again this soon after PostgreSQL is back. */
const RECOVERY_MS = 10_000;
/** Acknowledged writes wanted before the restart, so the restart hits a loaded server. */
const ACKS_BEFORE_RESTART = 40;

let cluster: PgCluster | undefined;
let server: ServerProcess | undefined;
const dir = tempDir("vellum-db-restart-");

test.after(async () => {
  server?.child.kill("SIGKILL");
  await server?.exited;
  await cluster?.destroy();
  dir.remove();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("the server survives an immediate PostgreSQL restart under load and loses nothing acknowledged", async () => {
  cluster = await startPgCluster();
  server = await startServerProcess({ DATABASE_URL: cluster.url, VELLUM_DATA_DIR: dir.path });
  const baseUrl = `http://127.0.0.1:${server.port}`;
  const tail = () => `server exit code ${server!.child.exitCode}, codes ${JSON.stringify([...codes])}, last log lines:\n${server!.logs.slice(-15).join("\n")}`;
  const health = createClient(Health, createGrpcTransport({ baseUrl }));

  const acked: string[] = [];
  const codes = new Map<Code, number>();
  let lastOkAt = 0;
  let stop = false;
  const writer = async (n: number) => {
    const client = createClient(SnapshotService, createGrpcTransport({ baseUrl }));
    for (let i = 0; !stop; i++) {
      try {
        const res = await client.createSnapshot(
          { storeId: "restart", resourceType: "product", resourceId: `p-${n}-${i % 5}`, payload: { case: "data", value: Buffer.from(JSON.stringify({ n, i })) }, snapshotType: SnapshotType.JSON },
          { timeoutMs: 30_000 },
        );
        acked.push(res.snapshot!.snapshotId);
        lastOkAt = Date.now();
      } catch (e) {
        const code = ConnectError.from(e).code;
        codes.set(code, (codes.get(code) ?? 0) + 1);
        await sleep(50);
      }
    }
  };
  const seen: Serving[] = [];
  const watchHealth = async () => {
    while (!stop) {
      const s = await health.check({ service: "" }, { timeoutMs: 5000 }).then((r) => r.status, () => Serving.UNKNOWN);
      if (seen.at(-1) !== s) seen.push(s);
      await sleep(50);
    }
  };
  const load = [...Array.from({ length: CLIENTS }, (_, n) => writer(n)), watchHealth()];

  for (let t = Date.now(); acked.length < ACKS_BEFORE_RESTART; await sleep(20)) {
    assert.ok(Date.now() - t < 60_000, `writes before the restart: ${acked.length} acknowledged, codes ${JSON.stringify([...codes])}`);
  }
  await cluster.restartImmediate();
  const backAt = Date.now();
  while (lastOkAt < backAt && Date.now() - backAt < RECOVERY_MS) await sleep(20);
  assert.ok(lastOkAt >= backAt, `no write succeeded within ${RECOVERY_MS} ms of PostgreSQL being back; ${tail()}`);
  const ackedBefore = acked.length;
  await sleep(1000); // more load after the recovery
  stop = true;
  await Promise.all(load);

  assert.is(server.child.exitCode, null, `the server exited; ${tail()}`);
  assert.ok(acked.length > ackedBefore, "writes keep succeeding after the recovery");
  assert.not.ok(codes.has(Code.Internal), `INTERNAL answered ${codes.get(Code.Internal)} times`);
  assert.not.ok(codes.has(Code.Unknown), `UNKNOWN answered ${codes.get(Code.Unknown)} times`);
  assert.ok(codes.has(Code.Unavailable), `the outage was reported as UNAVAILABLE: ${JSON.stringify([...codes])}`);
  assert.ok(seen.includes(Serving.NOT_SERVING), `health during the outage: ${seen.map((s) => Serving[s]).join(" -> ")}`);
  assert.is(seen.at(-1), Serving.SERVING, `health after the outage: ${seen.map((s) => Serving[s]).join(" -> ")}`);

  const reader = createClient(SnapshotService, createGrpcTransport({ baseUrl }));
  for (const snapshotId of acked) {
    const got = await reader.getSnapshot({ storeId: "restart", snapshotId });
    assert.is(got.snapshot!.snapshotId, snapshotId);
  }
});

test.run();
