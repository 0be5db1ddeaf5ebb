import { join } from "node:path";
import { uuidv7 } from "uuidv7";
import type { Config } from "../config.js";
import { systemClock } from "../domain/ports.js";
import { createApprovalUseCases, type ApprovalUseCases } from "../domain/restore/approvals.js";
import { createRestoreUseCases, type RestoreUseCases } from "../domain/restore/restores.js";
import { createRunRestore, type RunRestoreDeps } from "../domain/restore/run-restore.js";
import { createRestoreTargetUseCases, type RestoreTargetUseCases } from "../domain/restore/targets.js";
import { shareDownloadPath } from "../domain/share/share-link.js";
import type { ShareUseCases } from "../domain/share/share-use-cases.js";
import type { SnapshotType } from "../domain/snapshots/types.js";
import { restoreSnapshotKind } from "../jobs/kinds/restore-snapshot.js";
import { guardedGet } from "../outbound/guarded-get.js";
import { createRestoreTargetConnector } from "../outbound/restore-target-client.js";
import { createSecretBox } from "../security/secret-box.js";
import { loadOrCreateMasterKeyFile } from "../storage/content/master-key.js";
import { createApprovalRepository } from "../storage/db/restore-approval-repo.js";
import { createRestoreTargetRepository, findRestoreByRequestKey } from "../storage/db/restore-repo.js";
import type { DatabaseUseCases } from "./database.js";
import type { JobsUseCases } from "./jobs.js";
import type { LineageUseCases } from "./lineage.js";
import { nothingToClose, type Wired } from "./module.js";
import type { OutboundUseCases } from "./outbound.js";
import type { SnapshotsUseCases } from "./snapshots.js";

/** How long the signed content URL handed to a target works. */
export const RESTORE_CONTENT_URL_SECONDS = 15 * 60;

export interface RestoreWiring {
  restoreTargets: RestoreTargetUseCases;
  restores: RestoreUseCases;
  approvals: ApprovalUseCases;
}

/**
 * Restores into owning services: target registrations (secrets sealed under the master key),
 * RestoreSnapshot / ConfirmRestore / RollbackResource, approvals, and the RESTORE_SNAPSHOT job
 * kind. Content reaches targets as short-lived DOWNLOAD share links on the HTTP download route of
 * VELLUM_PUBLIC_URL (default http://VELLUM_HOST:PORT); every call to a target goes through the
 * outbound guard.
 */
export function wireRestore(
  config: Pick<Config, "masterKey" | "dataDir" | "security" | "host" | "port" | "maxMessageBytes">,
  deps: DatabaseUseCases & Pick<SnapshotsUseCases, "snapshots" | "versions"> & Pick<JobsUseCases, "jobs"> & OutboundUseCases & Pick<LineageUseCases, "lineage"> & { shares: ShareUseCases },
): Wired<RestoreWiring> {
  const { db } = deps.database;
  const masterKey = config.masterKey ?? loadOrCreateMasterKeyFile(join(config.dataDir, "master.key"));
  const targetRepo = createRestoreTargetRepository(db, createSecretBox(masterKey, "restore-target-auth"));
  const approvalRepo = createApprovalRepository(db);
  const newId = () => uuidv7();
  const restoreTargets = createRestoreTargetUseCases({ targets: targetRepo, endpoints: deps.outbound, clock: systemClock });
  const approvals = createApprovalUseCases({ approvals: approvalRepo, snapshots: deps.snapshots, targets: restoreTargets, jobs: deps.jobs, clock: systemClock, newId });
  const restores = createRestoreUseCases({
    snapshots: deps.snapshots,
    versions: deps.versions,
    targets: restoreTargets,
    approvals,
    attachApproval: (storeId, id, jobId) => approvalRepo.attachJob(storeId, id, jobId),
    findByRequestKey: (storeId, key) => findRestoreByRequestKey(db, storeId, key),
    jobs: deps.jobs,
  });

  const origin = config.security.publicUrl ?? `http://${config.host}:${config.port}`;
  const contentUrl: RunRestoreDeps["contentUrl"] = async (snapshot, jobId, audit) => {
    const { share, token } = await deps.shares.create(
      {
        storeId: snapshot.storeId,
        snapshotId: snapshot.id,
        expiresInSeconds: RESTORE_CONTENT_URL_SECONDS,
        access: "DOWNLOAD",
        allowedIps: [],
        note: `restore job ${jobId}`,
        idempotencyKey: "",
        fingerprint: "",
      },
      audit,
    );
    return { url: `${origin}${shareDownloadPath(token)}`, expireTime: share.expireTime };
  };

  const storeCapture: RunRestoreDeps["storeCapture"] = (input, audit, signal) => {
    const { state } = input;
    let snapshotType = (state.snapshotType ?? "") as SnapshotType | "";
    let source: AsyncIterable<Uint8Array>;
    if ("data" in state) {
      if (!snapshotType) snapshotType = parsesAsJson(state.data) ? "JSON" : "BLOB";
      source = (async function* () {
        yield state.data;
      })();
    } else {
      snapshotType ||= input.fallbackType as SnapshotType;
      source = guardedGet(deps.outbound, state.contentUrl, { signal, maxBytes: 64 * config.maxMessageBytes, timeoutMs: 10 * 60_000 });
    }
    return deps.snapshots.create(
      {
        storeId: input.storeId,
        resourceType: input.resourceType,
        resourceId: input.resourceId,
        snapshotType: snapshotType as SnapshotType,
        tags: [],
        labels: { restore_job_id: input.jobId, captured_before_restore: true },
        metadata: { commitMessage: `state before restore job ${input.jobId}`, channel: "", locale: "", jobId: input.jobId },
        ttlDays: 0,
        encrypt: false,
        idempotencyKey: input.idempotencyKey,
      },
      source,
      { actor: audit.actor, method: "vellum.v1.RestoreService/CaptureCurrent", fingerprintParts: { jobId: input.jobId }, audit, signal, expected: state.sha256 ? { sha256: state.sha256 } : undefined },
    );
  };

  const runRestore = createRunRestore({
    snapshots: deps.snapshots,
    targets: restoreTargets,
    approvals,
    connect: createRestoreTargetConnector({ targets: targetRepo, guard: deps.outbound }),
    contentUrl,
    storeCapture,
    lineage: deps.lineage,
  });
  return { useCases: { restoreTargets, restores, approvals }, jobKinds: [restoreSnapshotKind({ runRestore })], close: nothingToClose };
}

function parsesAsJson(data: Uint8Array): boolean {
  try {
    JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(data));
    return true;
  } catch {
    return false;
  }
}
