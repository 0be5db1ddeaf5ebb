import { randomBytes } from "node:crypto";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import postgres from "postgres";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { Health, HealthCheckResponse_ServingStatus as Serving } from "../../gen/grpc/health/v1/health_pb.js";
import { JobState } from "../../gen/vellum/v1/job_pb.js";
import { JobService } from "../../gen/vellum/v1/job_service_pb.js";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { createCallLog, describeCalls } from "./support/call-log.js";
import { startPgCluster, type PgCluster } from "./support/pg-cluster.js";
import { startServerProcess, type ServerProcess } from "./support/server-process.js";
import { tempDir } from "./support/test-server.js";

/**
 * A PostgreSQL restart under load (`pg_ctl restart -m immediate`, as a failover does) against the
 * real server process on a cluster of the test's own. Creates, streamed uploads, gets and downloads
 * run concurrently through the restart. Every call ends within CALL_BOUND_MS (far below the client deadline, so a
 * call hanging until its deadline fails the test) with OK or UNAVAILABLE, never anything else;
 * the process stays up; health goes NOT_SERVING during the outage and SERVING after; writes succeed
 * again within RECOVERY_MS; afterwards every call succeeds, the job runner runs a job and LISTEN is
 * back; and every snapshot visible in the store is complete (its bytes are exactly those sent).
 */
const test = suite("database restart under load (own PostgreSQL 15 cluster, server process)");

const STORE = "restart";
const WRITERS = 6;
const READERS = 3;
const DOWNLOADERS = 2;
const UPLOADERS = 2;
/** Streamed uploads are sent in pieces this large, a short pause apart, so they span the restart. */
const PIECE = 64 * 1024;
/** The client deadline of every call: a call that hangs lasts this long. */
const CALL_DEADLINE_MS = 60_000;
/** Every call must end (OK or UNAVAILABLE) this soon, outage or not: the server's waits are bounded. */
const CALL_BOUND_MS = 20_000;
/** Writes must succeed again this soon after PostgreSQL is back. */
const RECOVERY_MS = 10_000;
/** Acknowledged writes wanted before the restart, so the restart hits a loaded server. */
const ACKS_BEFORE_RESTART = 30;

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
const opts = { timeoutMs: CALL_DEADLINE_MS };

/** A JSON document naming its nonce; every fifth one is large enough to span many chunks. */
function payload(nonce: string, i: number): Buffer {
  const pad = randomBytes(i % 5 === 0 ? 150_000 : 1_000).toString("hex");
  return Buffer.from(JSON.stringify({ nonce, pad }));
}

/** A streamed upload (UploadSnapshot) of a ~1.2 MB JSON document naming its nonce. */
function upload(client: Client<typeof SnapshotService>, sent: Map<string, Buffer>, nonce: string, resourceId: string) {
  const data = Buffer.from(JSON.stringify({ nonce, pad: randomBytes(600_000).toString("hex") }));
  sent.set(nonce, data);
  return client.uploadSnapshot(
    (async function* () {
      yield { msg: { case: "header" as const, value: { storeId: STORE, resourceType: "blob", resourceId, snapshotType: SnapshotType.BLOB } } };
      for (let at = 0; at < data.length; at += PIECE) {
        await sleep(2);
        yield { msg: { case: "chunk" as const, value: data.subarray(at, at + PIECE) } };
      }
    })(),
    opts,
  );
}

async function download(client: Client<typeof SnapshotService>, snapshotId: string): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const m of client.downloadSnapshot({ storeId: STORE, snapshotId }, opts)) parts.push(m.chunk);
  return Buffer.concat(parts);
}

/** Throws (an UNKNOWN in the call log) unless `bytes` are exactly what was sent under their nonce. */
function checkContent(sent: Map<string, Buffer>, bytes: Buffer, what: string): void {
  const nonce = (JSON.parse(bytes.toString()) as { nonce: string }).nonce;
  if (!sent.get(nonce)?.equals(bytes)) throw new Error(`${what}: content is not what was sent under ${nonce} (${bytes.length} bytes)`);
}

test("every call ends in time with OK or UNAVAILABLE through an immediate PostgreSQL restart; nothing acknowledged is lost and nothing partial is visible", async () => {
  cluster = await startPgCluster();
  server = await startServerProcess({ DATABASE_URL: cluster.url, VELLUM_DATA_DIR: dir.path });
  const baseUrl = `http://127.0.0.1:${server.port}`;
  const client = createClient(SnapshotService, createGrpcTransport({ baseUrl }));
  const health = createClient(Health, createGrpcTransport({ baseUrl }));
  const log = createCallLog();
  const tail = () => `server exit code ${server!.child.exitCode}, calls ${JSON.stringify(log.summary())}, last log lines:\n${server!.logs.slice(-15).join("\n")}`;

  const sent = new Map<string, Buffer>();
  const acked: string[] = [];
  let lastWriteStartedOk = 0;
  let stop = false;
  const pick = () => acked[Math.floor(Math.random() * acked.length)];
  const writer = async (n: number) => {
    for (let i = 0; !stop; i++) {
      const nonce = `w${n}-${i}`;
      const data = payload(nonce, i);
      sent.set(nonce, data);
      const startedAt = Date.now();
      const res = await log.record("create", () =>
        client.createSnapshot({ storeId: STORE, resourceType: "product", resourceId: `p-${n}-${i % 5}`, payload: { case: "data", value: data }, snapshotType: SnapshotType.JSON }, opts),
      );
      if (res) {
        acked.push(res.snapshot!.snapshotId);
        lastWriteStartedOk = Math.max(lastWriteStartedOk, startedAt);
      } else await sleep(50);
    }
  };
  const uploader = async (n: number) => {
    for (let i = 0; !stop; i++) {
      const res = await log.record("upload", () => upload(client, sent, `u${n}-${i}`, `u-${n}`));
      if (res) acked.push(res.snapshot!.snapshotId);
      else await sleep(50);
    }
  };
  const reader = async () => {
    while (!stop) {
      const id = pick();
      const ok = id && (await log.record("get", () => client.getSnapshot({ storeId: STORE, snapshotId: id }, opts)));
      if (!ok) await sleep(50);
    }
  };
  const downloader = async () => {
    while (!stop) {
      const id = pick();
      const ok = id && (await log.record("download", async () => checkContent(sent, await download(client, id), id)));
      if (ok === undefined || !id) await sleep(50);
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
  const load = [
    ...Array.from({ length: WRITERS }, (_, n) => writer(n)),
    ...Array.from({ length: UPLOADERS }, (_, n) => uploader(n)),
    ...Array.from({ length: READERS }, reader),
    ...Array.from({ length: DOWNLOADERS }, downloader),
    watchHealth(),
  ];

  for (let t = Date.now(); acked.length < ACKS_BEFORE_RESTART; await sleep(20)) {
    assert.ok(Date.now() - t < 60_000, `writes before the restart: ${acked.length} acknowledged; ${tail()}`);
  }
  await cluster.restartImmediate();
  const backAt = Date.now();
  while (lastWriteStartedOk < backAt && Date.now() - backAt < RECOVERY_MS) await sleep(20);
  assert.ok(lastWriteStartedOk >= backAt, `no write started after PostgreSQL was back succeeded within ${RECOVERY_MS} ms; ${tail()}`);
  await sleep(1000); // more load after the recovery
  stop = true;
  await Promise.all(load);

  assert.is(server.child.exitCode, null, `the server exited; ${tail()}`);
  const bad = log.violations(CALL_BOUND_MS, ["OK", Code.Unavailable]);
  assert.equal(bad, [], `calls not ending in time with OK or UNAVAILABLE: ${describeCalls(bad)}; ${tail()}`);
  assert.ok(log.calls.some((c) => c.code === Code.Unavailable), `the outage was reported as UNAVAILABLE: ${JSON.stringify(log.summary())}`);
  for (const kind of ["create", "upload", "get", "download"]) assert.ok(log.calls.some((c) => c.kind === kind && c.code === "OK"), `some ${kind} succeeded`);
  assert.ok(seen.includes(Serving.NOT_SERVING), `health during the outage: ${seen.map((s) => Serving[s]).join(" -> ")}`);
  // The probe notices the recovery on its own schedule (every 500 ms while down).
  let healthAfter = Serving.UNKNOWN;
  for (const t = Date.now(); healthAfter !== Serving.SERVING && Date.now() - t < RECOVERY_MS; await sleep(100)) {
    healthAfter = await health.check({ service: "" }, { timeoutMs: 5000 }).then((r) => r.status);
  }
  assert.is(healthAfter, Serving.SERVING, `health after the outage: ${seen.map((s) => Serving[s]).join(" -> ")}; ${tail()}`);

  // After the recovery every call succeeds, concurrently.
  const mark = log.calls.length;
  await Promise.all([
    ...Array.from({ length: 12 }, (_, i) =>
      log.record("create", async () => {
        const nonce = `after-${i}`;
        sent.set(nonce, payload(nonce, i));
        const res = await client.createSnapshot({ storeId: STORE, resourceType: "product", resourceId: `after-${i}`, payload: { case: "data", value: sent.get(nonce)! }, snapshotType: SnapshotType.JSON }, opts);
        acked.push(res.snapshot!.snapshotId);
      }),
    ),
    ...Array.from({ length: 3 }, (_, i) =>
      log.record("upload", async () => {
        acked.push((await upload(client, sent, `after-u${i}`, `after-u${i}`)).snapshot!.snapshotId);
      }),
    ),
    ...Array.from({ length: 12 }, () => log.record("get", () => client.getSnapshot({ storeId: STORE, snapshotId: pick() }, opts))),
    ...Array.from({ length: 6 }, () => log.record("download", async () => checkContent(sent, await download(client, pick()), "download"))),
  ]);
  const badAfter = log.violations(CALL_BOUND_MS, ["OK"], mark);
  assert.equal(badAfter, [], `calls after the recovery that failed: ${describeCalls(badAfter)} ${tail()}`);

  // The job runner survived: a job enqueued now runs to the end.
  const jobs = createClient(JobService, createGrpcTransport({ baseUrl }));
  const { job } = await client.verifySnapshot({ storeId: STORE, snapshotId: acked[0] }, opts);
  let state = job!.state;
  for (const t = Date.now(); state !== JobState.SUCCEEDED && Date.now() - t < 60_000; await sleep(100)) {
    state = (await jobs.getJob({ storeId: STORE, jobId: job!.jobId }, opts)).job!.state;
  }
  assert.is(JobState[state], JobState[JobState.SUCCEEDED], "a job enqueued after the restart ran");

  // The job runner's LISTEN connection is back (notifications wake idle runners again).
  const admin = postgres(cluster.url, { max: 1, onnotice: () => {} });
  try {
    let listening = 0;
    for (const t = Date.now(); listening === 0 && Date.now() - t < RECOVERY_MS; await sleep(100)) {
      [{ listening }] = await admin<{ listening: number }[]>`select count(*)::int as listening from pg_stat_activity where query ilike 'listen %vellum_jobs%'`;
    }
    assert.ok(listening > 0, "the LISTEN connection of the job runner is re-established");
  } finally {
    await admin.end({ timeout: 5 });
  }

  // Nothing acknowledged is lost and nothing partial is visible: every listed snapshot is whole.
  const listed: string[] = [];
  let pageToken = "";
  do {
    const page = await client.listSnapshots({ storeId: STORE, pageSize: 1000, pageToken }, opts);
    listed.push(...page.snapshots.map((s) => s.snapshotId));
    pageToken = page.nextPageToken;
  } while (pageToken);
  const missing = acked.filter((id) => !listed.includes(id));
  assert.equal(missing, [], "every acknowledged snapshot is listed");
  for (const id of listed) checkContent(sent, await download(client, id), id);
});

test.run();
