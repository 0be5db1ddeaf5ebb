import { uuidv7 } from "uuidv7";
import type { Config } from "../config.js";
import { createPolicyCapture } from "../domain/policies/capture.js";
import { cronSchedule } from "../domain/policies/cron.js";
import { createPolicyRuns, POLICY_TICK, type PolicyRuns } from "../domain/policies/policy-runs.js";
import { createPolicyCrud, type PolicyCrud } from "../domain/policies/policy-use-cases.js";
import type { PolicyRepository } from "../domain/policies/ports.js";
import { systemClock } from "../domain/ports.js";
import { policyTickKind, runPolicyKind } from "../jobs/kinds/run-policy.js";
import type { ScheduledJob } from "../jobs/scheduler.js";
import { createCaptureClient } from "../outbound/capture-client.js";
import { createPolicyRepository } from "../storage/db/policy-repo.js";
import { createJobDeferral, createPolicyRunRepository, createPolicySnapshotQueries } from "../storage/db/policy-run-repo.js";
import type { ContentUseCases } from "./content.js";
import type { DatabaseUseCases } from "./database.js";
import type { JobsUseCases } from "./jobs.js";
import type { LineageUseCases } from "./lineage.js";
import { nothingToClose, type Wired } from "./module.js";
import type { OutboundUseCases } from "./outbound.js";
import type { SnapshotsUseCases } from "./snapshots.js";

/** Cron policies the scheduler considers (all stores). */
export const MAX_CRON_POLICIES = 10_000;

/**
 * The scheduler source of cron policies: one entry per enabled CRON policy, named
 * `policy:<id>`, so a tick is the pair (policy, slot) and is enqueued once across processes.
 */
export const policyCronSource =
  (repo: Pick<PolicyRepository, "enabledWithTrigger">) => async (): Promise<ScheduledJob[]> =>
    (await repo.enabledWithTrigger("CRON", MAX_CRON_POLICIES)).map((p) => ({
      name: `policy:${p.id}`,
      schedule: cronSchedule(p.cronExpression, p.timeZone),
      type: POLICY_TICK,
      params: { storeId: p.storeId, policyId: p.id },
    }));

export interface PoliciesUseCases {
  policies: { crud: PolicyCrud; runs: PolicyRuns };
}

/**
 * Snapshot policies: CRUD, runs as RUN_POLICY jobs (RunPolicy, NotifyChange) and cron ticks as
 * POLICY_TICK system jobs, from a schedule source that reads the enabled CRON policies at every
 * scheduler wake-up. Captures call the owning service through the outbound guard, bounded by
 * VELLUM_MAX_MESSAGE_BYTES.
 */
export function wirePolicies(
  config: Pick<Config, "maxMessageBytes">,
  deps: DatabaseUseCases & Pick<ContentUseCases, "content"> & Pick<SnapshotsUseCases, "snapshots"> & Pick<JobsUseCases, "jobs"> & OutboundUseCases & Pick<LineageUseCases, "lineage">,
): Wired<PoliciesUseCases> {
  const { db } = deps.database;
  const repo = createPolicyRepository(db);
  const runRepo = createPolicyRunRepository(db);
  const clock = systemClock;
  const crud = createPolicyCrud({ policies: repo, runs: runRepo, checkUrl: (u, f) => deps.outbound.checkUrl(u, f), clock, newId: () => uuidv7() });
  const capture = createPolicyCapture({
    content: deps.content,
    snapshots: deps.snapshots,
    queries: createPolicySnapshotQueries(db),
    runs: runRepo,
    client: createCaptureClient({ guard: deps.outbound, maxBytes: config.maxMessageBytes }),
    lineage: deps.lineage,
    clock,
  });
  const runs = createPolicyRuns({ crud, policies: repo, runs: runRepo, capture, jobs: deps.jobs, deferQueued: createJobDeferral(db), clock, newId: () => uuidv7() });
  const cronSource = policyCronSource(repo);
  return {
    useCases: { policies: { crud, runs } },
    jobKinds: [runPolicyKind({ runs }), policyTickKind({ runs })],
    scheduleSources: [cronSource],
    close: nothingToClose,
  };
}
