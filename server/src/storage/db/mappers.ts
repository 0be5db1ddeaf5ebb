import type { Job, JobLogLine, JobState } from "../../domain/jobs/types.js";
import { protects, type Snapshot, type SnapshotState, type SnapshotType, type StorageClass, type Version } from "../../domain/snapshots/types.js";
import type { JobLogRow, JobRow, NewSnapshotRow, SnapshotRow, VersionRow } from "./schema/index.js";

/**
 * Row -> domain mappers, one per table. A snapshot's pin or lock whose expire time is not after
 * `now` reads as absent.
 */
export function toSnapshot(r: SnapshotRow, now = new Date()): Snapshot {
  const pinned = r.pinned && protects(r.pinExpireTime, now);
  const locked = r.locked && protects(r.lockExpireTime, now);
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
    pinned,
    locked,
    pin: pinned ? { reason: r.pinReason, expireTime: r.pinExpireTime ?? undefined } : undefined,
    lock: locked ? { reason: r.lockReason, expireTime: r.lockExpireTime ?? undefined } : undefined,
    held: r.held,
    hold: r.held ? { reason: r.holdReason } : undefined,
    storageClass: r.storageClass as StorageClass,
    encrypted: r.encrypted,
    encryption: r.encrypted ? { algorithm: r.encryptionAlgorithm, keyId: r.encryptionKeyId } : undefined,
    contentRef: r.contentRef,
    createTime: r.createTime,
    expireTime: r.expireTime ?? undefined,
    deleteTime: r.deleteTime ?? undefined,
    purgeTime: r.purgeTime ?? undefined,
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
    storeId: r.storeId ?? undefined,
    type: r.type,
    state: r.state as JobState,
    progressPercent: r.progressPercent,
    priority: r.priority,
    snapshotId: r.snapshotId ?? undefined,
    params: r.params,
    result: r.result ?? undefined,
    errors: r.errors,
    createdBy: r.createdBy,
    attempts: r.attempts,
    maxAttempts: r.maxAttempts,
    runAfter: r.runAfter,
    dedupeKey: r.dedupeKey ?? undefined,
    schedule: r.schedule ?? undefined,
    scheduledTime: r.scheduledTime ?? undefined,
    cancelRequested: r.cancelRequested,
    createTime: r.createTime,
    startTime: r.startTime ?? undefined,
    endTime: r.endTime ?? undefined,
    updateTime: r.updateTime,
  };
}

export const toJobLogLine = (r: JobLogRow): JobLogLine => ({ time: r.time, attempt: r.attempt, line: r.line });
