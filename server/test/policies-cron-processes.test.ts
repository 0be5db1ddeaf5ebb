import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { PolicyTrigger } from "../../gen/vellum/v1/policy_pb.js";
import { PolicyService } from "../../gen/vellum/v1/policy_service_pb.js";
import { openDatabase } from "../src/storage/db/client.js";
import { startCaptureTarget } from "./support/capture-target-process.js";
import { startServerProcess, type ServerProcess } from "./support/server-process.js";
import { createTestDatabase } from "./support/test-db.js";
import { tempDir } from "./support/test-server.js";

/**
 * Two real server processes on one database, both running job workers and the scheduler, with a
 * cron policy ticking every 2 s against a capture-target process: no slot runs twice, whichever
 * process enqueued or ran it (a slot whose previous run has not ended is skipped).
 */
const test = suite("policies: two server processes, one run per cron tick");

const stop = async (p: ServerProcess) => {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGTERM");
  await p.exited;
};

test("a 2-second cron policy with two servers gives at most one run per slot", async () => {
  const db = await createTestDatabase();
  const dir = tempDir();
  const target = await startCaptureTarget();
  const env = { DATABASE_URL: db.url, VELLUM_DATA_DIR: dir.path, VELLUM_OUTBOUND_ALLOW_HOSTS: "127.0.0.1", VELLUM_JOB_CONCURRENCY: "2", VELLUM_LIFECYCLE_INTERVAL_MS: "0" };
  const procs: ServerProcess[] = [];
  const database = openDatabase(db.url, { max: 2 });
  try {
    await target.set("sku-1", '{"n":1}');
    procs.push(await startServerProcess(env));
    const policies = createClient(PolicyService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${procs[0].port}` }));
    const policy = (await policies.createPolicy({ storeId: "two", policy: { name: "fast", resourceType: "product", trigger: PolicyTrigger.CRON, cronExpression: "*/2 * * * * *", captureTargetUrl: target.baseUrl, resourceIds: ["sku-1"] } })).policy!;
    // The second process reads the policy at start; the first is restarted so it does too.
    procs.push(await startServerProcess(env));
    await stop(procs[0]);
    procs[0] = await startServerProcess(env);
    await new Promise((r) => setTimeout(r, 9000));
    await Promise.all(procs.map(stop));

    const runs = await database.sql`select scheduled_time, state from policy_runs where policy_id = ${policy.policyId} order by scheduled_time`;
    const slots = runs.map((r) => new Date(r.scheduled_time).getTime());
    assert.ok(slots.length >= 3, `ticks ran: ${slots.length}`);
    assert.is(new Set(slots).size, slots.length, "no slot ran twice");
    // A slot whose previous run is still queued or running is skipped (runs never overlap).
    for (let i = 1; i < slots.length; i++) assert.is((slots[i] - slots[i - 1]) % 2000, 0, "runs are on slots");
    // One tick job per slot, across both processes and the restart; each run comes from its slot's
    // tick (a tick still queued when the processes stopped, or skipped, has no run).
    const ticks = await database.sql`select scheduled_time from jobs where schedule = ${`policy:${policy.policyId}`}`;
    const tickSlots = ticks.map((t) => new Date(t.scheduled_time).getTime());
    assert.is(new Set(tickSlots).size, tickSlots.length, "one tick job per slot");
    assert.ok(slots.every((s) => tickSlots.includes(s)), "every run has its slot's tick job");
    assert.ok(runs.every((r) => r.state === "SUCCEEDED" || r.state === "QUEUED" || r.state === "RUNNING"));
  } finally {
    await Promise.all(procs.map(stop));
    await target.stop();
    await database.close();
    await db.drop();
    dir.remove();
  }
});

test.run();
