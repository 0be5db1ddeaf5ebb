import type { Config } from "../config.js";
import { systemClock } from "../domain/ports.js";
import type { AuditLog, LineageSource, ProtectionSource } from "../domain/retention/ports.js";
import { createLifecycleUseCases, type LifecycleUseCases } from "../domain/retention/lifecycle.js";
import { createRetentionUseCases, type RetentionUseCases } from "../domain/retention/retention-use-cases.js";
import { createRetentionRuleUseCases, type RetentionRuleUseCases } from "../domain/retention/rule-use-cases.js";
import { createUsageUseCases, type UsageUseCases } from "../domain/usage/usage-use-cases.js";
import { runRetentionKind } from "../jobs/kinds/run-retention.js";
import { snapshotLifecycleKind } from "../jobs/kinds/snapshot-lifecycle.js";
import { every } from "../jobs/scheduler.js";
import type { Logger } from "../lib/logger.js";
import { appendAuditTx } from "../storage/db/audit-repo.js";
import { createLifecycleRepository } from "../storage/db/lifecycle-repo.js";
import { createRetentionCandidateSource } from "../storage/db/retention-candidates.js";
import { createRetentionDeleter } from "../storage/db/retention-deleter.js";
import { createRetentionRuleRepository } from "../storage/db/retention-rule-repo.js";
import { createUsageRepository } from "../storage/db/usage-repo.js";
import { createReclaimEstimator } from "../storage/content/reclaim-estimate.js";
import type { DatabaseUseCases } from "./database.js";
import type { JobsUseCases } from "./jobs.js";
import type { Wired } from "./module.js";
import type { SnapshotsUseCases } from "./snapshots.js";
import { uuidv7 } from "uuidv7";

/** The retention, lifecycle and usage use-cases the RPC layer serves. */
export interface RetentionUseCaseSet {
  rules: RetentionRuleUseCases;
  retention: RetentionUseCases;
  lifecycle: LifecycleUseCases;
  usage: UsageUseCases;
  /** One lifecycle pass at `now`: TTL expiry, then the purge of soft deletes past their window. */
  lifecyclePass(now?: Date): Promise<{ expired: number; purged: number }>;
}

export interface RetentionWiring {
  retention: RetentionUseCaseSet;
}

/**
 * Retention rules, previews and runs (the RUN_RETENTION job), snapshot lifecycle (TTL expiry,
 * purge after the undelete window, undelete; the SNAPSHOT_LIFECYCLE system job on the
 * `snapshot-lifecycle` schedule, every VELLUM_LIFECYCLE_INTERVAL_MS, 0 disables it) and storage
 * usage. `protections` and `lineage` come from later capabilities (restores, approvals, lineage).
 */
export function wireRetention(
  config: Pick<Config, "undeleteWindowMs" | "lifecycleIntervalMs">,
  log: Logger,
  deps: DatabaseUseCases & Pick<SnapshotsUseCases, "snapshotRepo"> & Pick<JobsUseCases, "jobs"> & { protections?: ProtectionSource[]; lineage?: LineageSource },
): Wired<RetentionWiring> {
  const { db } = deps.database;
  const clock = systemClock;
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
    undeleteWindowMs: config.undeleteWindowMs,
  });
  const lifecycle = createLifecycleUseCases({ lifecycle: createLifecycleRepository(db), snapshots: deps.snapshotRepo, clock, undeleteWindowMs: config.undeleteWindowMs });
  const lifecycleLog = log.child({ component: "lifecycle" });

  // One pass at a time in this process; passes in other processes skip each other's rows.
  let running: Promise<{ expired: number; purged: number }> | undefined;
  const lifecyclePass = (now = clock.now()) =>
    (running ??= (async () => {
      const { expired } = await lifecycle.expireDue(now);
      const { purged } = await lifecycle.purgeExpiredDeletes(now);
      if (expired + purged > 0) lifecycleLog.info("snapshot lifecycle pass", { expired, purged });
      return { expired, purged };
    })().finally(() => (running = undefined)));

  return {
    useCases: {
      retention: {
        rules: createRetentionRuleUseCases({ rules: rulesRepo, clock, newId: () => uuidv7() }),
        retention,
        lifecycle,
        usage: createUsageUseCases({ usage: createUsageRepository(db), clock }),
        lifecyclePass,
      },
    },
    jobKinds: [runRetentionKind({ retention }), snapshotLifecycleKind({ lifecyclePass: () => lifecyclePass() })],
    schedules: config.lifecycleIntervalMs
      ? [{ name: "snapshot-lifecycle", schedule: every(config.lifecycleIntervalMs), type: "SNAPSHOT_LIFECYCLE", params: {} }]
      : [],
    async close() {
      await running?.catch(() => undefined);
    },
  };
}
