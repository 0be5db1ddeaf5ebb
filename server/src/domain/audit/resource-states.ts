import type { Annotation } from "../catalog/types.js";
import type { Job } from "../jobs/types.js";
import type { Snapshot, Version } from "../snapshots/types.js";

/**
 * Audit before/after states: what an auditor needs to see about a resource, as plain JSON. Secrets
 * (API key hashes) and storage internals (content references) are left out.
 */
export const snapshotState = (s: Snapshot) => ({
  snapshotId: s.id,
  storeId: s.storeId,
  resourceType: s.resourceType,
  resourceId: s.resourceId,
  ...(s.resourceVersion ? { resourceVersion: s.resourceVersion } : {}),
  snapshotType: s.snapshotType,
  version: s.version,
  generation: s.generation,
  size: s.size,
  sha256: s.sha256,
  tags: s.tags,
  labels: s.labels,
  metadata: s.metadata,
  createdBy: s.createdBy,
  state: s.state,
  pinned: s.pinned,
  locked: s.locked,
  ...(s.pin ? { pin: { reason: s.pin.reason, expireTime: s.pin.expireTime?.toISOString() ?? null } } : {}),
  ...(s.lock ? { lock: { reason: s.lock.reason, expireTime: s.lock.expireTime?.toISOString() ?? null } } : {}),
  ...(s.held ? { held: true, holdReason: s.hold?.reason ?? "" } : {}),
  encrypted: s.encrypted,
  createTime: s.createTime.toISOString(),
  expireTime: s.expireTime?.toISOString() ?? null,
  deleteTime: s.deleteTime?.toISOString() ?? null,
});

export const versionState = (v: Version) => ({
  resourceType: v.resourceType,
  resourceId: v.resourceId,
  version: v.version,
  snapshotId: v.snapshotId,
  authorId: v.authorId,
  notes: v.notes,
});

export const jobState = (j: Job) => ({
  jobId: j.id,
  type: j.type,
  state: j.state,
  priority: j.priority,
  snapshotId: j.snapshotId ?? null,
  cancelRequested: j.cancelRequested,
});

export const annotationState = (a: Annotation) => ({
  annotationId: a.id,
  snapshotId: a.snapshotId,
  authorId: a.authorId,
  message: a.message,
});
