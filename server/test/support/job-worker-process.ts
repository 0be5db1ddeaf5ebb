import { createJobKindRegistry } from "../../src/jobs/kind.js";
import { createLogger } from "../../src/lib/logger.js";
import { openDatabase } from "../../src/storage/db/client.js";
import { wireWorkers } from "../../src/wiring/workers.js";
import { crashKind, sleepKind } from "./test-job-kinds.js";

/**
 * A job worker process for runner tests: the production runner (wiring/workers.ts) over the test
 * kinds, with the timing the environment gives (short leases). Prints "worker ready pid:<pid>";
 * TEST_SLEEP reports that name as details.worker.
 * Env: DATABASE_URL, JOB_CONCURRENCY, LEASE_MS, HEARTBEAT_MS, POLL_MS, BACKOFF_BASE_MS, BACKOFF_CAP_MS.
 */
const env = process.env;
const n = (name: string, def: number) => Number(env[name] ?? def);
const database = openDatabase(env.DATABASE_URL!, { max: 4 });
const kinds = createJobKindRegistry([sleepKind(`pid:${process.pid}`), crashKind]);
const log = createLogger("warn", { service: "test-worker" });
const workers = await wireWorkers({ jobConcurrency: n("JOB_CONCURRENCY", 1) }, log, {
  database,
  kinds,
  schedules: [],
  timing: {
    leaseMs: n("LEASE_MS", 1000),
    heartbeatMs: n("HEARTBEAT_MS", 200),
    pollMs: n("POLL_MS", 500),
    backoff: { baseMs: n("BACKOFF_BASE_MS", 100), capMs: n("BACKOFF_CAP_MS", 200) },
  },
});
console.log(`worker ready pid:${process.pid}`);
process.on("SIGTERM", () => {
  void workers.close(2000).then(() => database.close()).then(() => process.exit(0));
});
