import { fileURLToPath } from "node:url";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Job } from "../src/domain/jobs/types.js";
import { createJobHarness, sleep, terminal, type JobHarness } from "./support/job-harness.js";
import { startNodeProcess, type NodeProcess } from "./support/server-process.js";
import { crashKind, sleepKind } from "./support/test-job-kinds.js";

/**
 * Job workers as real separate processes (server/test/support/job-worker-process.ts: the
 * production runner over test kinds, 1 s leases): killed, crashing and paused workers.
 */
const test = suite("jobs: worker processes (SIGKILL, crash loops, SIGSTOP)");

const WORKER = fileURLToPath(new URL("./support/job-worker-process.ts", import.meta.url));

async function startWorker(h: JobHarness, concurrency = 1): Promise<NodeProcess> {
  return startNodeProcess(WORKER, { DATABASE_URL: h.db.url, JOB_CONCURRENCY: String(concurrency), LEASE_MS: "1000", HEARTBEAT_MS: "200" }, "worker ready");
}

async function stopAll(procs: NodeProcess[]): Promise<void> {
  for (const p of procs) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill("SIGCONT");
      p.child.kill("SIGKILL");
    }
    await p.exited;
  }
}

const pidOf = (p: NodeProcess) => p.child.pid!;
/** Jobs whose lease the process holds now (lease_owner is "<pid>-<random>"). */
const heldBy = async (h: JobHarness, p: NodeProcess) =>
  (await h.database.sql`select id from jobs where state = 'RUNNING' and lease_owner like ${`${pidOf(p)}-%`}`).map((r) => r.id as string);

async function until(cond: () => Promise<boolean>, timeoutMs = 30_000, what = "condition"): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

test("a SIGKILLed worker process's job is taken over by another worker process within a minute", async () => {
  const h = await createJobHarness([sleepKind("test"), crashKind]);
  const procs: NodeProcess[] = [];
  try {
    procs.push(await startWorker(h), await startWorker(h));
    const job = await h.enqueue("TEST_SLEEP", { ms: 3_000 });
    let victim: NodeProcess | undefined;
    await until(async () => {
      for (const p of procs) if ((await heldBy(h, p)).includes(job.id)) victim = p;
      return victim !== undefined;
    }, 30_000, "a worker to claim the job");
    const survivor = procs.find((p) => p !== victim)!;
    const t0 = Date.now();
    victim!.child.kill("SIGKILL");
    const done = await h.waitFor(job.id, terminal, 60_000);
    const ms = Date.now() - t0;
    assert.ok(ms < 60_000, `taken over and finished ${ms} ms after the kill`);
    assert.is(done.state, "SUCCEEDED");
    assert.is(done.attempts, 2);
    assert.is(done.result?.details?.worker, `pid:${pidOf(survivor)}`);
    assert.equal(done.errors.map((e) => e.message), ["attempt 1 of 5: the worker stopped renewing its lease"]);
  } finally {
    await stopAll(procs);
    await h.close();
  }
});

test("at-least-once: every job of a batch succeeds although a worker process is SIGKILLed mid-batch", async () => {
  const h = await createJobHarness([sleepKind("test"), crashKind]);
  const procs: NodeProcess[] = [];
  try {
    const a = await startWorker(h, 2);
    const b = await startWorker(h, 2);
    procs.push(a, b);
    const jobs: Job[] = [];
    for (let i = 0; i < 12; i++) jobs.push(await h.enqueue("TEST_SLEEP", { ms: 600 }));
    await until(async () => (await heldBy(h, a)).length > 0, 30_000, "worker A to hold a job");
    a.child.kill("SIGKILL");
    await a.exited;
    // What A held when it died: nothing changes these rows until their leases lapse.
    const held = await heldBy(h, a);
    assert.ok(held.length > 0);
    const done = await Promise.all(jobs.map((j) => h.waitFor(j.id, terminal, 60_000)));
    assert.equal(done.map((j) => j.state), jobs.map(() => "SUCCEEDED"));
    for (const j of done) {
      assert.ok(j.logLines!.some((l) => l.line.startsWith("ran by")), `job ${j.id} ran`);
      if (held.includes(j.id)) {
        assert.ok(j.attempts >= 2, "a job the killed worker held ran again");
        assert.is(j.result?.details?.worker, `pid:${pidOf(b)}`);
      }
    }
  } finally {
    await stopAll(procs);
    await h.close();
  }
});

test("a crash counts as an attempt: a job that kills its worker every time fails after max attempts", async () => {
  const h = await createJobHarness([sleepKind("test"), crashKind]);
  const procs: NodeProcess[] = [];
  try {
    const job = await h.enqueue("TEST_CRASH");
    assert.is(job.maxAttempts, 3);
    for (let i = 1; i <= 3; i++) {
      const w = await startWorker(h);
      procs.push(w);
      await w.exited; // the job killed it
      assert.is(w.child.signalCode, "SIGKILL");
    }
    const survivor = await startWorker(h);
    procs.push(survivor);
    const done = await h.waitFor(job.id, terminal, 30_000);
    assert.is(done.state, "FAILED");
    assert.is(done.attempts, 3);
    assert.is(done.errors.length, 3);
    await sleep(500);
    assert.is(survivor.child.exitCode, null, "the fourth worker never ran the job");
  } finally {
    await stopAll(procs);
    await h.close();
  }
});

test("fencing: a worker paused past its lease (SIGSTOP) commits nothing after another worker took the job over", async () => {
  const h = await createJobHarness([sleepKind("test"), crashKind]);
  const procs: NodeProcess[] = [];
  try {
    const a = await startWorker(h);
    procs.push(a);
    // The handler ignores its signal: only the lease token keeps A's result out.
    const job = await h.enqueue("TEST_SLEEP", { ms: 1_500, ignoreSignal: true });
    await until(async () => (await heldBy(h, a)).includes(job.id), 30_000, "worker A to claim the job");
    a.child.kill("SIGSTOP");
    const b = await startWorker(h);
    procs.push(b);
    await until(async () => (await heldBy(h, b)).includes(job.id), 30_000, "worker B to take the job over");
    a.child.kill("SIGCONT"); // A's handler finishes now, holding a lease that is no longer its own
    await sleep(700);
    const mid = await h.jobs.get("jobs-test", job.id);
    assert.is(mid.state, "RUNNING", "A did not end the job");
    assert.is(mid.attempts, 2);
    const done = await h.waitFor(job.id, terminal, 30_000);
    assert.is(done.state, "SUCCEEDED");
    assert.is(done.result?.details?.worker, `pid:${pidOf(b)}`, "the result is B's");
    assert.is(a.child.exitCode, null, "A carries on");
    // A's handler ends on its own timer after SIGCONT, on a loaded machine possibly after B's.
    await until(async () => a.logs.some((l) => l.includes("lease was")), 30_000, "A to log that it lost the lease");
  } finally {
    await stopAll(procs);
    await h.close();
  }
});

test.run();
