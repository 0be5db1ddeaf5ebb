import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Code, ConnectError } from "@connectrpc/connect";
import { JobState, JobType } from "../../gen/vellum/v1/job_pb.js";
import { JobService } from "../../gen/vellum/v1/job_service_pb.js";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { createJobQueueRepository } from "../src/storage/db/job-queue-repo.js";
import { createJobRepository } from "../src/storage/db/job-repo.js";
import { openDatabase } from "../src/storage/db/client.js";
import { createTestDatabase } from "./support/test-db.js";
import { startTestServer, tempDir } from "./support/test-server.js";

/** Jobs live in Postgres: they survive restarts, expired leases are taken over, cancel and watch work. */
const test = suite("jobs: durable across restarts, leases, cancel and watch");

test("a queued job survives a restart and runs after it; WatchJob streams it to the end", async () => {
  const db = await createTestDatabase();
  const dir = tempDir();
  const env = { DATABASE_URL: db.url, VELLUM_DATA_DIR: dir.path };
  // No workers in the first process: the job can only stay queued.
  let server = await startTestServer({ ...env, VELLUM_JOB_CONCURRENCY: "0" });
  try {
    let snaps = createClient(SnapshotService, createGrpcTransport({ baseUrl: server.baseUrl }));
    const s = (await snaps.createSnapshot({ storeId: "jobs", resourceType: "r", snapshotType: SnapshotType.BLOB, payload: { case: "data", value: new Uint8Array(70_000).fill(3) } })).snapshot!;
    const queued = (await snaps.verifySnapshot({ storeId: "jobs", snapshotId: s.snapshotId })).job!;
    const second = (await snaps.verifySnapshot({ storeId: "jobs", snapshotId: s.snapshotId })).job!;
    let jobs = createClient(JobService, createGrpcTransport({ baseUrl: server.baseUrl }));
    const cancelled = (await jobs.cancelJob({ storeId: "jobs", jobId: second.jobId })).job!;
    assert.is(cancelled.state, JobState.CANCELLED);
    const again = await jobs.cancelJob({ storeId: "jobs", jobId: second.jobId }).catch((e) => ConnectError.from(e));
    assert.is((again as ConnectError).code, Code.FailedPrecondition);
    await server.stop();

    server = await startTestServer({ ...env, VELLUM_JOB_CONCURRENCY: "1" });
    jobs = createClient(JobService, createGrpcTransport({ baseUrl: server.baseUrl }));
    const states: JobState[] = [];
    for await (const u of jobs.watchJob({ storeId: "jobs", jobId: queued.jobId })) states.push(u.job!.state);
    assert.is(states[states.length - 1], JobState.SUCCEEDED);
    const done = (await jobs.getJob({ storeId: "jobs", jobId: queued.jobId })).job!;
    assert.is(done.progressPercent, 100);
    assert.is(done.result!.snapshotId, s.snapshotId);
    const listed = await jobs.listJobs({ storeId: "jobs", type: JobType.VERIFY_SNAPSHOT, state: JobState.CANCELLED });
    assert.equal(listed.jobs.map((j) => j.jobId), [second.jobId]);
    snaps = createClient(SnapshotService, createGrpcTransport({ baseUrl: server.baseUrl }));
    assert.ok((await snaps.getSnapshot({ storeId: "jobs", snapshotId: s.snapshotId })).snapshot);
  } finally {
    await server.stop();
    await db.drop();
    dir.remove();
  }
});

test("a RUNNING job whose worker died is taken over once its lease expires; the old worker is fenced out", async () => {
  const db = await createTestDatabase();
  const database = openDatabase(db.url);
  try {
    const repo = createJobRepository(database.db);
    const queue = createJobQueueRepository(database.db);
    const backoff = { baseMs: 1, capMs: 1 };
    const claim = (workerId: string, leaseMs: number) => queue.claim({ workerId, leaseMs, types: ["VERIFY_SNAPSHOT"], backoff });
    await repo.create({ id: "01900000-0000-7000-8000-0000000000aa", storeId: "jobs", type: "VERIFY_SNAPSHOT", priority: 5, params: {}, createdBy: "t", createTime: new Date(), maxAttempts: 5 }, { actor: "t", requestId: "r" });
    const a = await claim("worker-a", 200);
    assert.is(a?.job.attempts, 1);
    assert.is(await claim("worker-b", 200), undefined, "a live lease is not taken over");
    await new Promise((r) => setTimeout(r, 300)); // worker-a died: no heartbeats
    const b = await claim("worker-b", 5000);
    assert.is(b?.job.id, a!.job.id);
    assert.is(b?.job.attempts, 2);
    assert.is.not(b!.lease.token, a!.lease.token);
    const noLogs = { leaseMs: 1000, progressPercent: 0, logLines: [] };
    assert.is(await queue.heartbeat(a!.lease, noLogs), undefined, "the old worker has lost the job");
    assert.is(await queue.finish(a!.lease, { state: "FAILED", errors: [], logLines: [] }), false, "the old worker cannot commit");
    assert.is(await queue.finish(b!.lease, { state: "SUCCEEDED", result: { logs: ["ok"] }, errors: [], logLines: [] }), true);
    const done = await repo.get("jobs", a!.job.id);
    assert.is(done?.state, "SUCCEEDED");
    assert.equal(done?.errors.map((e) => e.code), ["UNAVAILABLE"], "the lost attempt is recorded");
  } finally {
    await database.close();
    await db.drop();
  }
});

test.run();
