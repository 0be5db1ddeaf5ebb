import { suite } from "uvu";
import * as assert from "uvu/assert";
import { uuidv7 } from "uuidv7";
import { PolicyRunState, PolicyTrigger } from "../../gen/vellum/v1/policy_pb.js";
import { PolicyService } from "../../gen/vellum/v1/policy_service_pb.js";
import { createJobScheduler } from "../src/jobs/scheduler.js";
import { silentLogger } from "../src/lib/logger.js";
import { createJobScheduleRepository } from "../src/storage/db/job-schedule-repo.js";
import { createPolicyRepository } from "../src/storage/db/policy-repo.js";
import { policyCronSource } from "../src/wiring/policies.js";
import { startCaptureTarget, type CaptureTarget } from "./support/capture-target-process.js";
import { startSecureServer, type SecureServer } from "./support/security-fixtures.js";

/**
 * Cron policies on an injected clock. Each scheduler instance stands for one server process (the
 * production scheduler over the production policy source and PostgreSQL); the real server's job
 * runner executes the ticks against a capture-target process. The server's own scheduler (system
 * clock) is stopped so that only the injected clocks decide.
 */
const test = suite<{ s: SecureServer; t: CaptureTarget }>("policies: cron ticks (injected clock, restarts, two processes)");
const STORE = "cron";

test.before(async (ctx) => {
  ctx.t = await startCaptureTarget();
  ctx.s = await startSecureServer({ VELLUM_OUTBOUND_ALLOW_HOSTS: "127.0.0.1", VELLUM_LIFECYCLE_INTERVAL_MS: "0" });
  await ctx.s.server.services.scheduler.stop();
});
test.after(async (ctx) => {
  await ctx.s.close();
  await ctx.t.stop();
});

test("a cron policy fires once per slot across processes and restarts, catches up once, and its run captures", async ({ s, t }) => {
  const { services } = s.server;
  const now = { t: Date.parse("2030-12-31T22:59:30Z") };
  const process = () => {
    const sch = createJobScheduler({ store: createJobScheduleRepository(services.database.db), kinds: services.kinds, clock: { now: () => new Date(now.t) }, newId: () => uuidv7(), log: silentLogger });
    sch.addSource(policyCronSource(createPolicyRepository(services.database.db)));
    return sch;
  };
  await t.set("sku-1", '{"stock":1}');
  const policies = s.client(PolicyService, { apiKey: s.adminKey });
  // Midnight in Berlin, 23:00 UTC in winter.
  const policy = (await policies.createPolicy({ storeId: STORE, policy: { name: "yearly", resourceType: "product", trigger: PolicyTrigger.CRON, cronExpression: "0 0 1 1 *", timeZone: "Europe/Berlin", captureTargetUrl: t.baseUrl, resourceIds: ["sku-1"] } })).policy!;
  const [a, b] = [process(), process()];
  assert.equal((await Promise.all([a.tick(), b.tick()])).map((r) => r.enqueued.length), [0, 0], "a new policy waits for its next slot");
  assert.is((await a.tick()).nextAt?.toISOString(), "2030-12-31T23:00:00.000Z");

  now.t = Date.parse("2030-12-31T23:00:05Z");
  const fired = await Promise.all([a.tick(), b.tick()]);
  assert.is(fired[0].enqueued.length + fired[1].enqueued.length, 1, "two processes, one job for the slot");
  assert.is((await process().tick()).enqueued.length, 0, "a restarted process finds the slot taken");

  // The runner claims by the real clock; the injected one is years ahead, so the ticks' jobs are
  // made due now (their run_after is the injected enqueue time).
  const waitRuns = async (n: number) => {
    await services.database.sql`update jobs set run_after = now() where schedule = ${`policy:${policy.policyId}`} and state = 'QUEUED'`;
    const end = Date.now() + 30_000;
    for (;;) {
      const runs = (await policies.listPolicyRuns({ storeId: STORE, policyId: policy.policyId })).runs;
      // The tick's job ends just after its run: until then it holds the schedule's dedupe key.
      const open = await services.database.sql`select 1 from jobs where schedule = ${`policy:${policy.policyId}`} and state in ('QUEUED', 'RUNNING')`;
      if (open.length === 0 && runs.length === n && runs.every((r) => r.state === PolicyRunState.SUCCEEDED || r.state === PolicyRunState.FAILED)) return runs;
      if (Date.now() > end) throw new Error(`expected ${n} ended runs, got ${JSON.stringify(runs.map((r) => r.state))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const [first] = await waitRuns(1);
  assert.is(first.state, PolicyRunState.SUCCEEDED, JSON.stringify(first.errors));
  assert.is(first.trigger, PolicyTrigger.CRON);
  assert.is(new Date(Number(first.scheduledTime!.seconds) * 1000).toISOString(), "2030-12-31T23:00:00.000Z");
  assert.is(first.snapshotIds.length, 1);

  now.t = Date.parse("2034-01-01T05:00:00Z"); // three slots passed while no process ran
  const [x, y] = [process(), process()];
  const caught = await Promise.all([x.tick(), y.tick()]);
  assert.is(caught[0].enqueued.length + caught[1].enqueued.length, 1, "caught up once, not three times");
  assert.is((await x.tick()).enqueued.length, 0);
  const runs = await waitRuns(2);
  assert.is(new Date(Number(runs[0].scheduledTime!.seconds) * 1000).toISOString(), "2033-12-31T23:00:00.000Z");
  assert.equal(runs[0].unchangedResourceIds, ["sku-1"], "the state did not change: no new snapshot");
  const ticks = await services.database.sql`select scheduled_time from jobs where schedule = ${`policy:${policy.policyId}`} order by scheduled_time`;
  assert.is(ticks.length, 2);

  await policies.updatePolicy({ storeId: STORE, policy: { policyId: policy.policyId, enabled: false }, updateMask: { paths: ["enabled"] } });
  now.t = Date.parse("2035-01-01T05:00:00Z");
  assert.is((await process().tick()).enqueued.length, 0, "a disabled policy does not fire");
});

test.run();
