import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import postgres from "postgres";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { JobState } from "../../gen/vellum/v1/job_pb.js";
import { JobService } from "../../gen/vellum/v1/job_service_pb.js";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { startNodeProcess, startServerProcess, type NodeProcess } from "./support/server-process.js";
import { createTestDatabase } from "./support/test-db.js";
import { tempDir } from "./support/test-server.js";

/** `npm run worker` (server/src/worker.ts) as real processes beside the API and each other. */
const test = suite("jobs: npm run worker (real processes)");

const WORKER = fileURLToPath(new URL("../src/worker.ts", import.meta.url));
const PACKAGE = JSON.parse(readFileSync(fileURLToPath(new URL("../../package.json", import.meta.url)), "utf8")) as { scripts: Record<string, string> };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const startWorker = (env: Record<string, string>) => startNodeProcess(WORKER, env, '"vellum worker started"');

async function stop(p: NodeProcess): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGTERM");
  await p.exited;
}

test("npm run worker is the worker entry with the server's Node flags", () => {
  assert.is(PACKAGE.scripts.worker, PACKAGE.scripts.start.replace(/dist\/server\/src\/main\.js$/, "dist/server/src/worker.js"));
  assert.is(PACKAGE.scripts.preworker, PACKAGE.scripts.prestart);
});

test("npm run worker runs the job an API with VELLUM_JOB_CONCURRENCY=0 enqueued", async () => {
  const db = await createTestDatabase();
  const dir = tempDir();
  const env = { DATABASE_URL: db.url, VELLUM_DATA_DIR: dir.path, VELLUM_SCAN_WORKERS: "0", VELLUM_RECLAIM_INTERVAL_MS: "0" };
  const api = await startServerProcess({ ...env, VELLUM_JOB_CONCURRENCY: "0" });
  let worker: NodeProcess | undefined;
  try {
    const transport = createGrpcTransport({ baseUrl: `http://127.0.0.1:${api.port}` });
    const snaps = createClient(SnapshotService, transport);
    const jobs = createClient(JobService, transport);
    const s = (await snaps.createSnapshot({ storeId: "w", resourceType: "r", snapshotType: SnapshotType.BLOB, payload: { case: "data", value: new Uint8Array(50_000).fill(7) } })).snapshot!;
    const job = (await snaps.verifySnapshot({ storeId: "w", snapshotId: s.snapshotId })).job!;
    await sleep(1_500);
    assert.is((await jobs.getJob({ storeId: "w", jobId: job.jobId })).job!.state, JobState.QUEUED, "the API runs no jobs");

    worker = await startWorker({ ...env, VELLUM_JOB_CONCURRENCY: "1" });
    const states: JobState[] = [];
    let last;
    for await (const u of jobs.watchJob({ storeId: "w", jobId: job.jobId })) {
      states.push(u.job!.state);
      last = u.job!;
    }
    assert.is(last!.state, JobState.SUCCEEDED);
    assert.is(last!.attempts, 1);
    assert.ok(last!.logLines.some((l) => l.line === "content verified"), "the worker's log lines reach the API");
    const bySnapshot = await jobs.listJobs({ storeId: "w", snapshotId: s.snapshotId });
    assert.equal(bySnapshot.jobs.map((j) => j.jobId), [job.jobId]);
    assert.equal((await jobs.listJobs({ storeId: "w", snapshotId: "01900000-0000-7000-8000-000000000000" })).jobs, []);
    assert.equal((await jobs.listJobs({ storeId: "other" })).jobs, [], "jobs are store-scoped");
  } finally {
    if (worker) await stop(worker);
    await stop(api);
    await db.drop();
    dir.remove();
  }
});

test("scheduled system jobs: two workers enqueue each tick once; after downtime the missed ticks are caught up once", async () => {
  const db = await createTestDatabase();
  const dir = tempDir();
  const env = { DATABASE_URL: db.url, VELLUM_DATA_DIR: dir.path, VELLUM_SCAN_WORKERS: "0", VELLUM_JOB_CONCURRENCY: "1", VELLUM_RECLAIM_INTERVAL_MS: "1000" };
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  const ticks = async () =>
    (await sql`select extract(epoch from scheduled_time) * 1000 as t, state, attempts, store_id from jobs where schedule = 'reclaim-storage' order by scheduled_time`).map(
      (r) => ({ t: Number(r.t), state: r.state as string, attempts: r.attempts as number, storeId: r.store_id as string | null }),
    );
  const procs: NodeProcess[] = [];
  try {
    const from = Date.now();
    procs.push(await startWorker(env), await startWorker(env));
    await sleep(4_500);
    await Promise.all(procs.map(stop));
    const to = Date.now();
    const before = await ticks();
    const slotsElapsed = Math.floor(to / 1000) - Math.floor(from / 1000);
    assert.ok(before.length >= 2, `ticks fired (${before.length})`);
    assert.ok(before.length <= slotsElapsed + 1, `${before.length} jobs for at most ${slotsElapsed + 1} slots`);
    assert.ok(before.every((j) => j.t % 1000 === 0 && j.storeId === null), "system jobs on whole-second slots");
    assert.ok(before.filter((j) => j.state !== "QUEUED").every((j) => j.attempts === 1), "each tick ran once");
    assert.ok(before.some((j) => j.state === "SUCCEEDED"));

    const lastSlot = before[before.length - 1].t;
    await sleep(3_500); // at least three slots pass with no process running
    procs.push(await startWorker(env));
    let after: Awaited<ReturnType<typeof ticks>> = [];
    for (const end = Date.now() + 20_000; after.length === 0 && Date.now() < end; await sleep(100)) {
      after = (await ticks()).filter((j) => j.t > lastSlot);
    }
    assert.ok(after.length >= 1, "the restarted worker fired");
    assert.ok(after[0].t >= lastSlot + 3_000, `the first tick after downtime is the latest slot, not the first missed one (${after[0].t - lastSlot} ms later)`);
  } finally {
    await Promise.all(procs.map(stop));
    await sql.end();
    await db.drop();
    dir.remove();
  }
});

test.run();
