import { suite } from "uvu";
import * as assert from "uvu/assert";
import { openDatabase, type Database } from "../src/storage/db/client.js";
import { createJobQueueRepository } from "../src/storage/db/job-queue-repo.js";
import { createJobRepository } from "../src/storage/db/job-repo.js";
import { createTestDatabase, type TestDatabase } from "./support/test-db.js";

/** The PostgreSQL job queue: backoff, attempt caps and fencing, measured on the rows themselves. */
const test = suite("jobs: queue (real PostgreSQL)");

const BACKOFF = { baseMs: 1_000, capMs: 8_000 };
const TYPES = ["Q"];

async function withQueue(fn: (ctx: { database: Database; newJob(maxAttempts: number): Promise<string> }) => Promise<void>) {
  const db: TestDatabase = await createTestDatabase();
  const database = openDatabase(db.url);
  let n = 0;
  const newJob = async (maxAttempts: number) => {
    const id = `01900000-0000-7000-8000-${String(++n).padStart(12, "0")}`;
    await createJobRepository(database.db).create({ id, storeId: "q", type: "Q", priority: 5, params: {}, createdBy: "t", createTime: new Date(), maxAttempts });
    return id;
  };
  try {
    await fn({ database, newJob });
  } finally {
    await database.close();
    await db.drop();
  }
}

/** The row's backoff as the database set it: run_after - update_time, in ms. */
async function delayOf(database: Database, id: string): Promise<{ state: string; ms: number; attempts: number }> {
  const [r] = await database.sql`select state, attempts, extract(epoch from run_after - update_time) * 1000 as ms from jobs where id = ${id}`;
  return { state: r.state, ms: Number(r.ms), attempts: r.attempts };
}

const makeDue = (database: Database, id: string) => database.sql`update jobs set run_after = now() where id = ${id}`;
const lapse = (database: Database, id: string) => database.sql`update jobs set lease_expire_time = now() - interval '1 second' where id = ${id}`;
const expected = (attempt: number) => Math.min(BACKOFF.capMs, BACKOFF.baseMs * 2 ** (attempt - 1));

test("backoff doubles from the base to the cap, with jitter in [d/2, d], after failures and after lost workers", async () => {
  await withQueue(async ({ database, newJob }) => {
    const queue = createJobQueueRepository(database.db);
    const id = await newJob(20);
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 8; attempt++) {
      const claimed = await queue.claim({ workerId: "w", leaseMs: 60_000, types: TYPES, backoff: BACKOFF });
      assert.is(claimed?.lease.attempt, attempt);
      if (attempt % 2) {
        assert.ok(await queue.requeue(claimed!.lease, { error: { code: "UNAVAILABLE", message: "x" }, backoff: BACKOFF, logLines: [] }));
      } else {
        await lapse(database, id); // the worker died: the next claim settles its attempt
        assert.is(await queue.claim({ workerId: "w2", leaseMs: 60_000, types: TYPES, backoff: BACKOFF }), undefined, "not before its backoff");
      }
      const d = await delayOf(database, id);
      assert.is(d.state, "QUEUED");
      const want = expected(attempt);
      assert.ok(d.ms >= want / 2 - 1 && d.ms <= want + 1, `attempt ${attempt}: ${d.ms} ms not in [${want / 2}, ${want}]`);
      delays.push(d.ms);
      await makeDue(database, id);
    }
    assert.ok(delays.slice(4).every((ms) => ms <= BACKOFF.capMs + 1), "capped");
    assert.ok(new Set(delays.map((ms) => Math.round(ms))).size > 4, "jittered");
  });
});

test("max attempts counts attempts whose worker died: the job then fails instead of running again", async () => {
  await withQueue(async ({ database, newJob }) => {
    const queue = createJobQueueRepository(database.db);
    const id = await newJob(2);
    for (let attempt = 1; attempt <= 2; attempt++) {
      const claimed = await queue.claim({ workerId: `w${attempt}`, leaseMs: 60_000, types: TYPES, backoff: BACKOFF });
      assert.is(claimed?.job.attempts, attempt);
      await lapse(database, id);
      // The next claim settles the dead attempt (back to the queue after a backoff, or FAILED).
      assert.is(await queue.claim({ workerId: "w", leaseMs: 60_000, types: TYPES, backoff: BACKOFF }), undefined);
      await makeDue(database, id);
    }
    assert.is(await queue.claim({ workerId: "w3", leaseMs: 60_000, types: TYPES, backoff: BACKOFF }), undefined, "no third attempt");
    const [row] = await database.sql`select state, attempts, errors, end_time from jobs where id = ${id}`;
    assert.is(row.state, "FAILED");
    assert.is(row.attempts, 2);
    assert.ok(row.end_time);
    assert.equal(
      (row.errors as { message: string }[]).map((e) => e.message),
      ["attempt 1 of 2: the worker stopped renewing its lease", "attempt 2 of 2: the worker stopped renewing its lease"],
    );
  });
});

test("a shutdown hands the job back at once without counting the attempt; a lost cancelled job ends CANCELLED", async () => {
  await withQueue(async ({ database, newJob }) => {
    const queue = createJobQueueRepository(database.db);
    const id = await newJob(3);
    const first = await queue.claim({ workerId: "w", leaseMs: 60_000, types: TYPES, backoff: BACKOFF });
    assert.ok(await queue.requeue(first!.lease, { logLines: [{ time: new Date(), line: "interrupted" }] }));
    const second = await queue.claim({ workerId: "w", leaseMs: 60_000, types: TYPES, backoff: BACKOFF });
    assert.is(second?.job.attempts, 1, "the interrupted attempt was not counted");
    assert.is(await queue.requeue(first!.lease, { logLines: [] }), false, "fenced");
    await database.sql`update jobs set cancel_requested = true where id = ${id}`;
    await lapse(database, id);
    assert.is(await queue.claim({ workerId: "w", leaseMs: 60_000, types: TYPES, backoff: BACKOFF }), undefined);
    const [row] = await database.sql`select state from jobs where id = ${id}`;
    assert.is(row.state, "CANCELLED");
    const logs = await database.sql`select attempt, line from job_logs where job_id = ${id}`;
    assert.equal([...logs], [{ attempt: 1, line: "interrupted" }]);
  });
});

test("claims only kinds this worker knows, and nextDueInMs reports the earliest run_after", async () => {
  await withQueue(async ({ database, newJob }) => {
    const queue = createJobQueueRepository(database.db);
    const id = await newJob(3);
    assert.is(await queue.claim({ workerId: "w", leaseMs: 60_000, types: ["OTHER"], backoff: BACKOFF }), undefined);
    assert.is(await queue.nextDueInMs(["OTHER"]), undefined);
    await database.sql`update jobs set run_after = now() + interval '5 seconds' where id = ${id}`;
    const ms = await queue.nextDueInMs(TYPES);
    assert.ok(ms !== undefined && ms > 4_000 && ms <= 5_000, `next due in ${ms} ms`);
  });
});

test.run();
