import { createClient } from "@connectrpc/connect";
import { sql } from "drizzle-orm";
import { AuditService } from "../../../gen/vellum/v1/audit_service_pb.js";
import { EventService } from "../../../gen/vellum/v1/event_service_pb.js";
import { JobState, type Job } from "../../../gen/vellum/v1/job_pb.js";
import { RetentionService } from "../../../gen/vellum/v1/retention_service_pb.js";
import { ShareService } from "../../../gen/vellum/v1/share_service_pb.js";
import { SnapshotAdminService } from "../../../gen/vellum/v1/snapshot_admin_service_pb.js";
import { SnapshotType, type Snapshot } from "../../../gen/vellum/v1/snapshot_pb.js";
import { StorageService } from "../../../gen/vellum/v1/storage_service_pb.js";
import type { MemoryHarness } from "./memory-client.js";

export const DAY_MS = 86_400_000;

/** Clients of the retention-related services over a harness's in-memory transport. */
export function retentionClients(h: MemoryHarness) {
  return {
    retention: createClient(RetentionService, h.transport),
    admin: createClient(SnapshotAdminService, h.transport),
    storage: createClient(StorageService, h.transport),
    audit: createClient(AuditService, h.transport),
    shares: createClient(ShareService, h.transport),
    events: createClient(EventService, h.transport),
  };
}

/** Creates a BLOB snapshot, then moves its create_time `daysAgo` days into the past. */
export async function snapshotAged(
  h: MemoryHarness,
  spec: { storeId: string; resourceType: string; resourceId?: string; body: Uint8Array; tags?: string[]; daysAgo: number; ttlDays?: number },
): Promise<Snapshot> {
  const s = (
    await h.snapshots.createSnapshot({
      storeId: spec.storeId,
      resourceType: spec.resourceType,
      resourceId: spec.resourceId ?? "",
      snapshotType: SnapshotType.BLOB,
      tags: spec.tags ?? [],
      ttlDays: spec.ttlDays ?? 0,
      payload: { case: "data", value: spec.body },
    })
  ).snapshot!;
  if (spec.daysAgo > 0) {
    const t = new Date(Date.now() - spec.daysAgo * DAY_MS);
    await h.services.database.db.execute(sql`update snapshots set create_time = ${t.toISOString()}::timestamptz where id = ${s.snapshotId}`);
  }
  return s;
}

/** Polls a job until it reaches a terminal state. */
export async function finishedJob(h: MemoryHarness, storeId: string, jobId: string, timeoutMs = 30_000): Promise<Job> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const job = (await h.jobs.getJob({ storeId, jobId })).job!;
    if ([JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED].includes(job.state)) return job;
    if (Date.now() > end) throw new Error(`job ${jobId} did not finish: ${JobState[job.state]}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
