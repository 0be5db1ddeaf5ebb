import { suite } from "uvu";
import * as assert from "uvu/assert";
import { uuidv7 } from "uuidv7";
import { createJobKindRegistry, defineJobKind, noParams } from "../src/jobs/kind.js";
import { createJobScheduler, every, type ScheduledJob } from "../src/jobs/scheduler.js";
import { silentLogger } from "../src/lib/logger.js";
import { openDatabase, type Database } from "../src/storage/db/client.js";
import { createJobScheduleRepository } from "../src/storage/db/job-schedule-repo.js";
import { createTestDatabase } from "./support/test-db.js";

/**
 * The scheduler of recurring system jobs on an injected clock, each scheduler instance standing
 * for one process (jobs-processes.test.ts runs real ones).
 */
const test = suite("jobs: scheduler (real PostgreSQL, injected clock)");

const sys = defineJobKind({ type: "SYS_TICK", scope: "system", parseParams: noParams, handler: async () => ({ ok: true, result: {} }) });
const MIN = 60_000;
const T0 = Date.parse("2026-03-01T00:00:30Z");

async function withSchedulers(fn: (ctx: { database: Database; scheduler(now: { t: number }): ReturnType<typeof createJobScheduler> }) => Promise<void>) {
  const db = await createTestDatabase();
  const database = openDatabase(db.url);
  const kinds = createJobKindRegistry([sys]);
  try {
    await fn({
      database,
      scheduler: (now) =>
        createJobScheduler({ store: createJobScheduleRepository(database.db), kinds, clock: { now: () => new Date(now.t) }, newId: () => uuidv7(), log: silentLogger }),
    });
  } finally {
    await database.close();
    await db.drop();
  }
}

const slots = async (database: Database) =>
  (await database.sql`select scheduled_time from jobs where schedule = 'tick' order by scheduled_time`).map((r) => new Date(r.scheduled_time).toISOString());
const entry = (overrides: Partial<ScheduledJob> = {}): ScheduledJob => ({ name: "tick", schedule: every(MIN), type: "SYS_TICK", dedupeKey: null, ...overrides });

test("a new schedule fires at its next slot; two processes enqueue each slot once; a restart does not fire it again", async () => {
  await withSchedulers(async ({ database, scheduler }) => {
    const now = { t: T0 };
    const a = scheduler(now);
    const b = scheduler(now);
    a.register(entry());
    b.register(entry());
    const first = await Promise.all([a.tick(), b.tick()]);
    assert.equal(first.map((r) => r.enqueued.length), [0, 0], "not at registration");
    assert.is(first[0].nextAt?.toISOString(), "2026-03-01T00:01:00.000Z");
    now.t = T0 + 40_000;
    const second = await Promise.all([a.tick(), b.tick()]);
    assert.is(second[0].enqueued.length + second[1].enqueued.length, 1, "one job for the slot");
    const restarted = scheduler(now);
    restarted.register(entry());
    assert.is((await restarted.tick()).enqueued.length, 0, "the restarted process finds the slot taken");
    assert.equal(await slots(database), ["2026-03-01T00:01:00.000Z"]);
    const [job] = await database.sql`select store_id, type, created_by, state from jobs`;
    assert.equal({ ...job }, { store_id: null, type: "SYS_TICK", created_by: "schedule:tick", state: "QUEUED" });
  });
});

test("after downtime, only the latest missed slot is enqueued (caught up once, not once per slot)", async () => {
  await withSchedulers(async ({ database, scheduler }) => {
    const now = { t: T0 };
    const before = scheduler(now);
    before.register(entry());
    await before.tick();
    now.t = T0 + MIN;
    await before.tick();
    now.t = T0 + 10 * MIN + 5_000; // nine slots passed while no process ran
    const after = scheduler(now);
    after.register(entry());
    const r = await after.tick();
    assert.is(r.enqueued.length, 1);
    assert.equal(await slots(database), ["2026-03-01T00:01:00.000Z", "2026-03-01T00:10:00.000Z"]);
  });
});

test("a tick whose previous job is still queued or running is skipped (default dedupe key)", async () => {
  await withSchedulers(async ({ database, scheduler }) => {
    const now = { t: T0 };
    const s = scheduler(now);
    s.register(entry({ dedupeKey: undefined }));
    await s.tick();
    now.t += MIN;
    assert.is((await s.tick()).enqueued.length, 1);
    now.t += MIN;
    assert.is((await s.tick()).enqueued.length, 0, "the 00:01 job is still queued");
    await database.sql`update jobs set state = 'SUCCEEDED' where schedule = 'tick'`;
    now.t += MIN;
    assert.is((await s.tick()).enqueued.length, 1);
    assert.equal(await slots(database), ["2026-03-01T00:01:00.000Z", "2026-03-01T00:03:00.000Z"]);
  });
});

test("entries from a source (schedules kept as data) fire like registered ones; store kinds are refused", async () => {
  await withSchedulers(async ({ database, scheduler }) => {
    const now = { t: T0 };
    const s = scheduler(now);
    s.addSource(async () => [entry({ name: "tick" }), entry({ name: "bad", type: "NOT_A_KIND" })]);
    await s.tick();
    now.t += MIN;
    assert.is((await s.tick()).enqueued.length, 1);
    assert.equal(await slots(database), ["2026-03-01T00:01:00.000Z"]);
    assert.throws(() => every(10), /at least|>= 1000/);
  });
});

test.run();
