import { suite } from "uvu";
import * as assert from "uvu/assert";
import { uuidv7 } from "uuidv7";
import { createJobUseCases } from "../src/domain/jobs/service.js";
import { invalidField, isDomainError, notFound, unavailable } from "../src/domain/errors.js";
import { systemClock } from "../src/domain/ports.js";
import { defineJobKind, noParams } from "../src/jobs/kind.js";
import postgres from "postgres";
import { createJobRunner } from "../src/jobs/runner.js";
import { silentLogger } from "../src/lib/logger.js";
import { openDatabase } from "../src/storage/db/client.js";
import { createPgJobSignals } from "../src/storage/db/job-notify.js";
import { createJobQueueRepository } from "../src/storage/db/job-queue-repo.js";
import { createJobRepository } from "../src/storage/db/job-repo.js";
import { ADMIN_URL } from "./support/test-db.js";
import { AUDIT, createJobHarness, sleep, STORE, terminal } from "./support/job-harness.js";

/** The job runner in this process against real PostgreSQL: wake-ups, limits, order, retries, cancel, logs. */
const test = suite("jobs: runner (real PostgreSQL)");

const quick = defineJobKind({ type: "QUICK", scope: "store", parseParams: noParams, handler: async () => ({ ok: true, result: {} }) });

test("LISTEN/NOTIFY wakes an idle runner at once although its poll interval is a minute", async () => {
  const h = await createJobHarness([quick]);
  // The enqueue comes from another pool (as from another process): only the NOTIFY can tell the runner.
  const other = openDatabase(h.db.url, { max: 1 });
  try {
    const runner = h.runner({ concurrency: 1, timing: { pollMs: 60_000 } });
    await runner.start();
    await sleep(500); // the start-up claim found nothing; the runner now sleeps on its minute-long poll
    const jobs = createJobUseCases({ jobs: createJobRepository(other.db), kinds: h.kinds, clock: systemClock, newId: () => uuidv7() });
    const t0 = Date.now();
    const job = await jobs.enqueue(STORE, "QUICK", { actor: "t", audit: AUDIT });
    await h.waitFor(job.id, (j) => j.state === "SUCCEEDED", 5_000);
    const ms = Date.now() - t0;
    assert.ok(ms < 2_000, `woken after ${ms} ms`);
  } finally {
    await other.close();
    await h.close();
  }
});

test("the wake-up channel comes back after its connection dies while the database refuses connections", async () => {
  const h = await createJobHarness([quick]);
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  const name = new URL(h.db.url).pathname.slice(1);
  try {
    const runner = createJobRunner({
      queue: createJobQueueRepository(h.database.db),
      signals: createPgJobSignals(h.database.sql),
      kinds: h.kinds,
      log: silentLogger,
      workerId: "w",
      concurrency: 1,
      timing: { pollMs: 60_000 },
    });
    await runner.start();
    await h.enqueue("QUICK"); // opens a pool connection, kept while the database refuses new ones
    await sleep(300);
    await admin.unsafe(`alter database ${name} allow_connections false`);
    const killed = await admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${name} and query ilike 'listen %'`;
    assert.is(killed.length, 1, "the listen connection");
    await sleep(500); // listening again fails while connections are refused
    await admin.unsafe(`alter database ${name} allow_connections true`);
    await sleep(1_500); // postgres.js retries, and the runner is woken when it listens again
    const t0 = Date.now();
    const job = await h.enqueue("QUICK");
    await h.waitFor(job.id, (j) => j.state === "SUCCEEDED", 5_000);
    assert.ok(Date.now() - t0 < 2_000, "woken by NOTIFY, not the minute-long poll");
    await runner.stop(1000);
  } finally {
    await admin.unsafe(`alter database ${name} allow_connections true`);
    await admin.end();
    await h.close();
  }
});

test("poke() and wake-ups never run more jobs at once than the concurrency limit", async () => {
  let active = 0;
  let max = 0;
  const tracked = defineJobKind({
    type: "TRACKED",
    scope: "store",
    parseParams: noParams,
    handler: async () => {
      max = Math.max(max, ++active);
      await sleep(40);
      active--;
      return { ok: true, result: {} };
    },
  });
  const h = await createJobHarness([tracked]);
  try {
    const ids = [];
    for (let i = 0; i < 12; i++) ids.push((await h.enqueue("TRACKED")).id);
    const runner = h.runner({ concurrency: 2, timing: { pollMs: 50 } });
    await runner.start();
    const poking = setInterval(() => {
      for (let i = 0; i < 20; i++) runner.poke();
    }, 3);
    try {
      for (const id of ids) await h.waitFor(id, (j) => j.state === "SUCCEEDED");
    } finally {
      clearInterval(poking);
    }
    assert.is(max, 2, `at most 2 at once (saw ${max})`);
  } finally {
    await h.close();
  }
});

test("priority: higher runs first, FIFO within a priority, 0 means the default 5 (seed 003)", async () => {
  const order: string[] = [];
  const named = defineJobKind({
    type: "NAMED",
    scope: "store",
    parseParams: (raw) => ({ name: String(raw.name) }),
    handler: async ({ params }) => (order.push(params.name), { ok: true, result: {} }),
  });
  const h = await createJobHarness([named]);
  try {
    const created = [];
    for (const [name, priority] of [["a", 2], ["b", 9], ["c", 5], ["d", 9], ["e", 0]] as const) {
      created.push(await h.enqueue("NAMED", { name }, priority));
    }
    assert.is(created[4].priority, 5);
    const runner = h.runner({ concurrency: 1 });
    await runner.start();
    for (const j of created) await h.waitFor(j.id, terminal);
    assert.equal(order, ["b", "d", "c", "e", "a"]);
  } finally {
    await h.close();
  }
});

test("a failing handler is retried with backoff, then FAILED after max attempts", async () => {
  const starts: number[] = [];
  const flaky = defineJobKind({
    type: "FLAKY",
    scope: "store",
    maxAttempts: 4,
    parseParams: noParams,
    handler: async () => {
      starts.push(Date.now());
      throw new Error("connection reset");
    },
  });
  const h = await createJobHarness([flaky]);
  try {
    const job = await h.enqueue("FLAKY");
    assert.is(job.maxAttempts, 4);
    // A long poll: retries start on the runner's own timer for the earliest run_after.
    const runner = h.runner({ concurrency: 1, timing: { pollMs: 30_000, backoff: { baseMs: 300, capMs: 600 } } });
    await runner.start();
    const done = await h.waitFor(job.id, terminal);
    assert.is(done.state, "FAILED");
    assert.is(done.attempts, 4);
    assert.is(starts.length, 4, "no fifth attempt");
    assert.equal(done.errors.map((e) => e.message), [1, 2, 3, 4].map((n) => `attempt ${n} of 4 failed`), "the cause is not echoed");
    const gaps = starts.slice(1).map((t, i) => t - starts[i]);
    [300, 600, 600].forEach((d, i) => assert.ok(gaps[i] >= d / 2 - 5, `gap ${i + 1} is ${gaps[i]} ms, backoff at least ${d / 2}`));
  } finally {
    await h.close();
  }
});

test("typed domain errors fail at once; Unavailable is retried", async () => {
  let flakyCalls = 0;
  const picky = defineJobKind({
    type: "PICKY",
    scope: "store",
    parseParams: (raw) => {
      if (typeof raw.mode !== "string") throw invalidField("params.mode", "must be a string");
      return { mode: raw.mode };
    },
    handler: async ({ params }) => {
      if (params.mode === "missing") throw notFound("snapshot", "x");
      if (++flakyCalls < 3) throw unavailable("target unavailable");
      return { ok: true, result: {} };
    },
  });
  const h = await createJobHarness([picky]);
  try {
    const runner = h.runner({ concurrency: 1, timing: { backoff: { baseMs: 50, capMs: 50 } } });
    await runner.start();
    const missing = await h.waitFor((await h.enqueue("PICKY", { mode: "missing" })).id, terminal);
    assert.is(missing.state, "FAILED");
    assert.is(missing.attempts, 1);
    assert.equal(missing.errors, [{ code: "NOT_FOUND", message: "snapshot x not found" }]);
    const flaky = await h.waitFor((await h.enqueue("PICKY", { mode: "flaky" })).id, terminal);
    assert.is(flaky.state, "SUCCEEDED");
    assert.is(flaky.attempts, 3);
    assert.equal(flaky.errors.map((e) => e.code), ["UNAVAILABLE", "UNAVAILABLE"]);
    // Params that no longer parse when claimed (written by an older release, say) fail without retries.
    await runner.stop(1000);
    const stale = await h.enqueue("PICKY", { mode: "flaky" });
    await h.database.sql`update jobs set params = '{"mode": 7}'::jsonb where id = ${stale.id}`;
    await h.runner({ concurrency: 1 }).start();
    const bad = await h.waitFor(stale.id, terminal);
    assert.is(bad.state, "FAILED");
    assert.is(bad.attempts, 1);
    assert.is(bad.errors[0].code, "INVALID_ARGUMENT");
  } finally {
    await h.close();
  }
});

test("cancellation reaches a running handler within a second (NOTIFY, and the heartbeat without it)", async () => {
  const started = new Map<string, number>();
  const seen = new Map<string, number>();
  const waiting = defineJobKind({
    type: "WAITING",
    scope: "store",
    parseParams: noParams,
    handler: async ({ job, signal }) => {
      started.set(job.id, Date.now());
      await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
      seen.set(job.id, Date.now());
      throw new Error(String(signal.reason));
    },
  });
  const h = await createJobHarness([waiting]);
  try {
    // heartbeatMs 20 s: only the NOTIFY can deliver the cancellation in time. Default: either can.
    for (const timing of [{ heartbeatMs: 20_000 }, {}]) {
      const runner = h.runner({ concurrency: 1, timing });
      await runner.start();
      const job = await h.enqueue("WAITING");
      await h.waitFor(job.id, () => started.has(job.id));
      const t0 = Date.now();
      const after = await h.jobs.cancel(STORE, job.id, AUDIT);
      assert.is(after.cancelRequested, true);
      const done = await h.waitFor(job.id, terminal, 5_000);
      assert.is(done.state, "CANCELLED");
      const ms = seen.get(job.id)! - t0;
      assert.ok(ms < 1_000, `handler saw the cancellation after ${ms} ms`);
      await runner.stop(1000);
    }
  } finally {
    await h.close();
  }
});

test("progress and log lines are persisted while the job runs and kept after it", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const chatty = defineJobKind({
    type: "CHATTY",
    scope: "store",
    parseParams: noParams,
    handler: async ({ log, progress }) => {
      log("step 1");
      log("x".repeat(5_000));
      progress(40);
      await gate;
      log("step 2");
      return { ok: true, result: { details: { done: true } } };
    },
  });
  const h = await createJobHarness([chatty]);
  try {
    const runner = h.runner({ concurrency: 1, timing: { heartbeatMs: 100 } });
    await runner.start();
    const job = await h.enqueue("CHATTY");
    const mid = await h.waitFor(job.id, (j) => j.progressPercent === 40 && (j.logLines?.length ?? 0) === 2);
    assert.is(mid.state, "RUNNING");
    assert.is(mid.logLines![0].line, "step 1");
    assert.is(mid.logLines![0].attempt, 1);
    assert.is(mid.logLines![1].line.length, 2_001, "long lines are cut at 2,000 characters and marked");
    release();
    const done = await h.waitFor(job.id, terminal);
    assert.is(done.state, "SUCCEEDED");
    assert.is(done.progressPercent, 100);
    assert.equal(done.logLines!.map((l) => l.line.slice(0, 6)), ["step 1", "xxxxxx", "step 2"]);
    assert.equal(done.result?.logs?.map((l) => l.slice(0, 6)), ["step 1", "xxxxxx", "step 2"]);
    assert.equal(done.result?.details, { done: true });
  } finally {
    await h.close();
  }
});

test("enqueue checks kind, scope, params and priority; a dedupe key returns the job holding it", async () => {
  const system = defineJobKind({ type: "SYSTEM_TASK", scope: "system", parseParams: noParams, handler: async () => ({ ok: true, result: {} }) });
  const h = await createJobHarness([quick, system]);
  try {
    const reject = async (p: Promise<unknown>, field: string) => {
      const err = await p.then(() => undefined, (e: unknown) => e);
      assert.ok(isDomainError(err, "InvalidArgument"), `expected INVALID_ARGUMENT for ${field}`);
      assert.is(err.details.violations?.[0].field, field);
    };
    await reject(h.jobs.enqueue(STORE, "NOPE", { actor: "t", audit: AUDIT }), "type");
    await reject(h.jobs.enqueue(undefined, "QUICK", { actor: "t" }), "store_id");
    await reject(h.jobs.enqueue(STORE, "SYSTEM_TASK", { actor: "t", audit: AUDIT }), "store_id");
    await reject(h.jobs.enqueue(STORE, "QUICK", { actor: "t", audit: AUDIT, params: { extra: 1 } }), "params.extra");
    await reject(h.jobs.enqueue(STORE, "QUICK", { actor: "t", audit: AUDIT, priority: 10 }), "priority");
    await reject(h.jobs.list({ storeId: STORE, snapshotId: "not-a-uuid" }, 50, ""), "snapshot_id");

    const sys = await h.jobs.enqueue(undefined, "SYSTEM_TASK", { actor: "system", dedupeKey: "only-one" });
    assert.is(sys.storeId, undefined);
    const again = await h.jobs.enqueue(undefined, "SYSTEM_TASK", { actor: "system", dedupeKey: "only-one" });
    assert.is(again.id, sys.id, "the key is held by the queued job");
    const other = await h.jobs.enqueue(undefined, "SYSTEM_TASK", { actor: "system", dedupeKey: "another" });
    assert.is.not(other.id, sys.id);
    // No store sees a system job.
    const listed = await h.jobs.list({ storeId: STORE }, 50, "");
    assert.equal(listed.jobs.length, 0);
    const err = await h.jobs.get(STORE, sys.id).then(() => undefined, (e: unknown) => e);
    assert.ok(isDomainError(err, "NotFound"));

    const runner = h.runner({ concurrency: 1 });
    await runner.start();
    await sleep(100);
    const until = Date.now() + 10_000;
    const state = async () => (await h.database.sql`select state from jobs where id = ${sys.id}`)[0].state as string;
    while ((await state()) !== "SUCCEEDED" && Date.now() < until) await sleep(20);
    assert.is(await state(), "SUCCEEDED");
    const next = await h.jobs.enqueue(undefined, "SYSTEM_TASK", { actor: "system", dedupeKey: "only-one" });
    assert.is.not(next.id, sys.id, "a finished job frees its key");
  } finally {
    await h.close();
  }
});

test.run();
