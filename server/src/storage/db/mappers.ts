import type { Job, JobState, JobType } from "../../domain/jobs/types.js";
import type { Snapshot, SnapshotState, SnapshotType, StorageClass, Version } from "../../domain/snapshots/types.js";
import type { JobRow, NewSnapshotRow, SnapshotRow, VersionRow } from "./schema/index.js";

/** Row -> domain mappers, one per table. */
export function toSnapshot(r: SnapshotRow): Snapshot {
  return {
    id: r.id,
    storeId: r.storeId,
    resourceType: r.resourceType,
    resourceId: r.resourceId,
    resourceVersion: r.resourceVersion,
    snapshotType: r.snapshotType as SnapshotType,
    version: r.version,
    generation: r.generation,
    size: r.size,
    storedSize: r.storedSize,
    sha256: r.sha256,
    tags: r.tags,
    labels: r.labels,
    metadata: { commitMessage: r.commitMessage, channel: r.channel, locale: r.locale, jobId: r.jobId },
    createdBy: r.createdBy,
    state: r.state as SnapshotState,
    pinned: r.pinned,
    locked: r.locked,
    storageClass: r.storageClass as StorageClass,
    encrypted: r.encrypted,
    encryption: r.encrypted ? { algorithm: r.encryptionAlgorithm, keyId: r.encryptionKeyId } : undefined,
    contentRef: r.contentRef,
    createTime: r.createTime,
    expireTime: r.expireTime ?? undefined,
    deleteTime: r.deleteTime ?? undefined,
  };
}

/** Domain -> row: the insert values of a new snapshot that is version `version` of its resource (0: none). */
export function toSnapshotRow(s: Omit<Snapshot, "version">, version: number): NewSnapshotRow {
  return {
    id: s.id,
    storeId: s.storeId,
    resourceType: s.resourceType,
    resourceId: s.resourceId,
    resourceVersion: s.resourceVersion,
    snapshotType: s.snapshotType,
    version,
    generation: s.generation,
    size: s.size,
    storedSize: s.storedSize,
    sha256: s.sha256,
    tags: s.tags,
    labels: s.labels,
    commitMessage: s.metadata.commitMessage,
    channel: s.metadata.channel,
    locale: s.metadata.locale,
    jobId: s.metadata.jobId,
    createdBy: s.createdBy,
    state: s.state,
    pinned: s.pinned,
    locked: s.locked,
    storageClass: s.storageClass,
    encrypted: s.encrypted,
    encryptionAlgorithm: s.encryption?.algorithm ?? "",
    encryptionKeyId: s.encryption?.keyId ?? "",
    contentRef: s.contentRef,
    createTime: s.createTime,
    expireTime: s.expireTime,
  };
}

export function toVersion(r: VersionRow): Version {
  return {
    storeId: r.storeId,
    resourceType: r.resourceType,
    resourceId: r.resourceId,
    version: r.version,
    snapshotId: r.snapshotId,
    authorId: r.authorId,
    notes: r.notes,
    message: r.message,
    createTime: r.createTime,
  };
}

export function toJob(r: JobRow): Job {
  return {
    id: r.id,
    storeId: r.storeId,
    type: r.type as JobType,
    state: r.state as JobState,
    progressPercent: r.progressPercent,
    priority: r.priority,
    snapshotId: r.snapshotId ?? undefined,
    params: r.params,
    result: r.result ?? undefined,
    errors: r.errors,
    createdBy: r.createdBy,
    attempts: r.attempts,
    cancelRequested: r.cancelRequested,
    createTime: r.createTime,
    startTime: r.startTime ?? undefined,
    endTime: r.endTime ?? undefined,
    updateTime: r.updateTime,
  };
}
