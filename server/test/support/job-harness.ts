import { uuidv7 } from "uuidv7";
import { createJobUseCases, type JobUseCases } from "../../src/domain/jobs/service.js";
import type { Job } from "../../src/domain/jobs/types.js";
import { systemClock } from "../../src/domain/ports.js";
import { createJobKindRegistry, type AnyJobKind, type JobKindRegistry } from "../../src/jobs/kind.js";
import { createJobRunner, type JobRunner, type JobRunnerTiming } from "../../src/jobs/runner.js";
import { silentLogger } from "../../src/lib/logger.js";
import { openDatabase, type Database } from "../../src/storage/db/client.js";
import { createPgJobSignals } from "../../src/storage/db/job-notify.js";
import { createJobQueueRepository } from "../../src/storage/db/job-queue-repo.js";
import { createJobRepository } from "../../src/storage/db/job-repo.js";
import { createTestDatabase, type TestDatabase } from "./test-db.js";

export const AUDIT = { actor: "test", requestId: "req-test" };
export const STORE = "jobs-test";

export interface JobHarness {
  db: TestDatabase;
  database: Database;
  kinds: JobKindRegistry;
  jobs: JobUseCases;
  /** A runner over the harness's kinds (not started). */
  runner(opts: { concurrency: number; timing?: Partial<JobRunnerTiming>; workerId?: string }): JobRunner;
  /** Enqueues a store job of `type` with `params`. */
  enqueue(type: string, params?: Record<string, unknown>, priority?: number): Promise<Job>;
  /** Re-reads a job until `done(job)` holds (or fails after `timeoutMs`). */
  waitFor(id: string, done: (j: Job) => boolean, timeoutMs?: number): Promise<Job>;
  close(): Promise<void>;
}

/** A fresh database, the given kinds, job use-cases, and runners on demand (stopped by close). */
export async function createJobHarness(kindList: AnyJobKind[]): Promise<JobHarness> {
  const db = await createTestDatabase();
  const database = openDatabase(db.url);
  const kinds = createJobKindRegistry(kindList);
  const jobs = createJobUseCases({ jobs: createJobRepository(database.db), kinds, clock: systemClock, newId: () => uuidv7() });
  const runners: JobRunner[] = [];
  return {
    db,
    database,
    kinds,
    jobs,
    runner({ concurrency, timing, workerId }) {
      const r = createJobRunner({
        queue: createJobQueueRepository(database.db),
        signals: createPgJobSignals(database.sql),
        kinds,
        log: silentLogger,
        workerId: workerId ?? `w-${runners.length}`,
        concurrency,
        timing,
      });
      runners.push(r);
      return r;
    },
    enqueue: (type, params = {}, priority = 0) => jobs.enqueue(STORE, type, { params, priority, actor: "test", audit: AUDIT }),
    async waitFor(id, done, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const j = await jobs.get(STORE, id);
        if (done(j)) return j;
        if (Date.now() > until) throw new Error(`job ${id} did not get there: ${JSON.stringify({ state: j.state, attempts: j.attempts, errors: j.errors })}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      for (const r of runners) await r.stop(1000);
      await database.close();
      await db.drop();
    },
  };
}

export const terminal = (j: Job) => ["SUCCEEDED", "FAILED", "CANCELLED"].includes(j.state);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
