import type { AuditLog, LineageSource, ProtectionSource } from "../domain/retention/ports.js";
import type { JobUseCases } from "../domain/jobs/service.js";
import type { Clock, SnapshotRepository } from "../domain/ports.js";
import { createLifecycleUseCases, type LifecycleUseCases } from "../domain/retention/lifecycle.js";
import { createRetentionUseCases, type RetentionUseCases } from "../domain/retention/retention-use-cases.js";
import { createRetentionRuleUseCases, type RetentionRuleUseCases } from "../domain/retention/rule-use-cases.js";
import { createUsageUseCases, type UsageUseCases } from "../domain/usage/usage-use-cases.js";
import { createRunRetentionHandler } from "../jobs/run-retention.js";
import type { JobHandler } from "../jobs/runner.js";
import type { Logger } from "../lib/logger.js";
import { appendAuditTx } from "../storage/db/audit-repo.js";
import type { Db } from "../storage/db/client.js";
import { createLifecycleRepository } from "../storage/db/lifecycle-repo.js";
import { createRetentionCandidateSource } from "../storage/db/retention-candidates.js";
import { createRetentionDeleter } from "../storage/db/retention-deleter.js";
import { createRetentionRuleRepository } from "../storage/db/retention-rule-repo.js";
import { createUsageRepository } from "../storage/db/usage-repo.js";
import { createReclaimEstimator } from "../storage/content/reclaim-estimate.js";

/** The retention, lifecycle and usage use-cases the RPC layer serves. */
export interface RetentionUseCaseSet {
  rules: RetentionRuleUseCases;
  retention: RetentionUseCases;
  lifecycle: LifecycleUseCases;
  usage: UsageUseCases;
  /** One lifecycle pass at `now`: TTL expiry, then the purge of soft deletes past their window. */
  lifecyclePass(now?: Date): Promise<{ expired: number; purged: number }>;
}

export interface RetentionWiringDeps {
  db: Db;
  snapshots: Pick<SnapshotRepository, "get">;
  jobs: Pick<JobUseCases, "enqueue">;
  clock: Clock;
  newId: () => string;
  log: Logger;
  undeleteWindowMs: number;
  /** Period of the lifecycle pass in this process; 0 runs none (call `lifecyclePass`). */
  lifecycleIntervalMs: number;
  /** Protections from other capabilities (pending restores, approvals), when they exist. */
  protections?: ProtectionSource[];
  lineage?: LineageSource;
}

/**
 * Retention rules, previews and runs, snapshot lifecycle (TTL expiry, purge, undelete) and storage
 * usage. Returns the use-cases, the RUN_RETENTION job kind, and `close`, which stops the periodic
 * lifecycle pass and waits for a running one.
 */
export function createRetentionWiring(deps: RetentionWiringDeps) {
  const { db, clock } = deps;
  const auditLog: AuditLog = { append: (audit, record) => db.transaction(async (tx) => void (await appendAuditTx(tx, audit, record))) };
  const rulesRepo = createRetentionRuleRepository(db);
  const retention = createRetentionUseCases({
    rules: rulesRepo,
    candidates: createRetentionCandidateSource(db),
    protections: deps.protections ?? [],
    lineage: deps.lineage,
    reclaim: createReclaimEstimator(db),
    deleter: createRetentionDeleter(db),
    auditLog,
    jobs: deps.jobs,
    clock,
    undeleteWindowMs: deps.undeleteWindowMs,
  });
  const lifecycle = createLifecycleUseCases({ lifecycle: createLifecycleRepository(db), snapshots: deps.snapshots, clock, undeleteWindowMs: deps.undeleteWindowMs });
  const log = deps.log.child({ component: "lifecycle" });

  // One pass at a time in this process; passes in other processes skip each other's rows.
  let running: Promise<{ expired: number; purged: number }> | undefined;
  const lifecyclePass = (now = clock.now()) =>
    (running ??= (async () => {
      const { expired } = await lifecycle.expireDue(now);
      const { purged } = await lifecycle.purgeExpiredDeletes(now);
      if (expired + purged > 0) log.info("snapshot lifecycle pass", { expired, purged });
      return { expired, purged };
    })().finally(() => (running = undefined)));
  const timer = deps.lifecycleIntervalMs
    ? setInterval(() => lifecyclePass().catch((err) => log.error("snapshot lifecycle pass failed", { err })), deps.lifecycleIntervalMs).unref()
    : undefined;

  const useCases: RetentionUseCaseSet = {
    rules: createRetentionRuleUseCases({ rules: rulesRepo, clock, newId: deps.newId }),
    retention,
    lifecycle,
    usage: createUsageUseCases({ usage: createUsageRepository(db), clock }),
    lifecyclePass,
  };
  const jobKinds: { RUN_RETENTION: JobHandler } = { RUN_RETENTION: createRunRetentionHandler({ retention }) };
  return {
    useCases,
    jobKinds,
    async close(): Promise<void> {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}

export type RetentionWiring = ReturnType<typeof createRetentionWiring>;
