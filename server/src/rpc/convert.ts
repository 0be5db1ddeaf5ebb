import { create, type JsonObject } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import {
  EncryptionInfoSchema,
  ProtectionSchema,
  SnapshotMetadataSchema,
  SnapshotSchema,
  SnapshotState,
  SnapshotType as PbSnapshotType,
  StorageClass as PbStorageClass,
  type Snapshot as PbSnapshot,
  type SnapshotMetadata as PbSnapshotMetadata,
} from "../../../gen/vellum/v1/snapshot_pb.js";
import { VersionSchema, type Version as PbVersion } from "../../../gen/vellum/v1/version_pb.js";
import {
  JobErrorSchema,
  JobLogLineSchema,
  JobResultSchema,
  JobSchema,
  JobState as PbJobState,
  JobType as PbJobType,
  type Job as PbJob,
} from "../../../gen/vellum/v1/job_pb.js";
import { invalidField } from "../domain/errors.js";
import type { Job, JobState, JobType } from "../domain/jobs/types.js";
import { snapshotEtag, type Protection, type Snapshot, type SnapshotMetadata, type SnapshotType, type Version } from "../domain/snapshots/types.js";

/** Converters between generated messages and domain types. Enum names map 1:1 after the prefix. */
export const snapshotTypeFromPb = (t: PbSnapshotType): SnapshotType | undefined =>
  t === PbSnapshotType.UNSPECIFIED ? undefined : (PbSnapshotType[t] as SnapshotType | undefined);
export const snapshotTypeToPb = (t: SnapshotType): PbSnapshotType => PbSnapshotType[t];
export const jobTypeFromPb = (t: PbJobType): JobType | undefined =>
  t === PbJobType.UNSPECIFIED ? undefined : (PbJobType[t] as JobType | undefined);
export const jobStateFromPb = (s: PbJobState): JobState | undefined =>
  s === PbJobState.UNSPECIFIED ? undefined : (PbJobState[s] as JobState | undefined);

export const ts = (d: Date | undefined): Timestamp | undefined => (d ? timestampFromDate(d) : undefined);
/** Timestamp's valid range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z. */
const MIN_SECONDS = -62_135_596_800n;
const MAX_SECONDS = 253_402_300_799n;

/**
 * A request's Timestamp as a Date; INVALID_ARGUMENT (naming `field`) for one outside the range
 * google.protobuf.Timestamp defines (seconds out of range, nanos outside 0..999,999,999).
 */
export function dateOf(t: Timestamp | undefined, field: string): Date | undefined {
  if (!t) return undefined;
  if (t.seconds < MIN_SECONDS || t.seconds > MAX_SECONDS || t.nanos < 0 || t.nanos > 999_999_999) {
    throw invalidField(field, "must be a valid timestamp between years 1 and 9999 (nanos 0..999999999)");
  }
  return timestampDate(t);
}

export function metadataFromPb(m: PbSnapshotMetadata | undefined): Partial<SnapshotMetadata> {
  return m ? { commitMessage: m.commitMessage, channel: m.channel, locale: m.locale, jobId: m.jobId } : {};
}

export function snapshotToPb(s: Snapshot): PbSnapshot {
  return create(SnapshotSchema, {
    snapshotId: s.id,
    storeId: s.storeId,
    resourceType: s.resourceType,
    resourceId: s.resourceId,
    resourceVersion: s.resourceVersion,
    snapshotType: snapshotTypeToPb(s.snapshotType),
    version: BigInt(s.version),
    etag: snapshotEtag(s),
    size: BigInt(s.size),
    storedSize: BigInt(s.storedSize),
    sha256: s.sha256,
    tags: s.tags,
    labels: s.labels as JsonObject,
    metadata: create(SnapshotMetadataSchema, s.metadata),
    createdBy: s.createdBy,
    state: s.state === "ACTIVE" ? SnapshotState.ACTIVE : SnapshotState.DELETED,
    pinned: s.pinned,
    locked: s.locked,
    storageClass: PbStorageClass[s.storageClass],
    encrypted: s.encrypted,
    encryption: s.encryption ? create(EncryptionInfoSchema, s.encryption) : undefined,
    createTime: ts(s.createTime),
    expireTime: ts(s.expireTime),
    deleteTime: ts(s.deleteTime),
    pin: protectionToPb(s.pin),
    lock: protectionToPb(s.lock),
    held: s.held,
    legalHold: protectionToPb(s.hold),
    purgeTime: ts(s.purgeTime),
  });
}

const protectionToPb = (p: Protection | undefined) => (p ? create(ProtectionSchema, { reason: p.reason, expireTime: ts(p.expireTime) }) : undefined);

export function versionToPb(v: Version): PbVersion {
  return create(VersionSchema, { ...v, version: BigInt(v.version), createTime: ts(v.createTime) });
}

/** The API's JobType of a registered kind; UNSPECIFIED for kinds the API has no value for. */
const jobTypeToPb = (t: JobType): PbJobType => (PbJobType as unknown as Record<string, PbJobType | undefined>)[t] ?? PbJobType.UNSPECIFIED;

export function jobToPb(j: Job): PbJob {
  return create(JobSchema, {
    jobId: j.id,
    storeId: j.storeId ?? "",
    type: jobTypeToPb(j.type),
    state: PbJobState[j.state],
    progressPercent: j.progressPercent,
    priority: j.priority,
    createTime: ts(j.createTime),
    startTime: ts(j.startTime),
    endTime: ts(j.endTime),
    errors: j.errors.map((e) => create(JobErrorSchema, { code: e.code, message: e.message, subject: e.subject ?? "" })),
    result: j.result
      ? create(JobResultSchema, {
          snapshotId: j.result.snapshotId ?? "",
          downloadUrl: j.result.downloadUrl ?? "",
          logs: j.result.logs ?? [],
          details: (j.result.details ?? {}) as JsonObject,
        })
      : undefined,
    snapshotId: j.snapshotId ?? "",
    createdBy: j.createdBy,
    cancelRequested: j.cancelRequested,
    attempts: j.attempts,
    maxAttempts: j.maxAttempts,
    runAfter: ts(j.runAfter),
    logLines: (j.logLines ?? []).map((l) => create(JobLogLineSchema, { time: ts(l.time), attempt: l.attempt, line: l.line })),
  });
}
