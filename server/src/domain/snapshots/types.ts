/** Domain model of snapshots and versions. Plain data; no generated or ORM types. */

export const SNAPSHOT_TYPES = ["JSON", "TAR", "DB", "INDEX", "ASSET", "BLOB"] as const;
export type SnapshotType = (typeof SNAPSHOT_TYPES)[number];
export type SnapshotState = "ACTIVE" | "DELETED";
export type StorageClass = "STANDARD" | "COLD" | "ARCHIVE";

export interface SnapshotMetadata {
  commitMessage: string;
  channel: string;
  locale: string;
  jobId: string;
}

/** A pin, lock or legal hold: why, and until when (never for holds; unset = until removed). */
export interface Protection {
  reason: string;
  expireTime?: Date;
}

export interface Snapshot {
  id: string;
  storeId: string;
  resourceType: string;
  resourceId: string;
  /** The producer's version of the resource ("" when none); unique per resource when set. */
  resourceVersion: string;
  snapshotType: SnapshotType;
  version: number;
  /** Increments on every metadata change; the etag is derived from it. */
  generation: number;
  size: number;
  storedSize: number;
  sha256: string;
  tags: string[];
  labels: Record<string, unknown>;
  metadata: SnapshotMetadata;
  createdBy: string;
  state: SnapshotState;
  /** Unexpired pin (as read: an expired pin reads as absent). */
  pinned: boolean;
  /** Unexpired lock (as read: an expired lock reads as absent). */
  locked: boolean;
  /** Set exactly when `pinned`. */
  pin?: Protection;
  /** Set exactly when `locked`. */
  lock?: Protection;
  /** On legal hold. */
  held: boolean;
  /** Set exactly when `held`. */
  hold?: Protection;
  storageClass: StorageClass;
  encrypted: boolean;
  encryption?: { algorithm: string; keyId: string };
  contentRef: string;
  createTime: Date;
  expireTime?: Date;
  deleteTime?: Date;
  /** For a soft-deleted snapshot: when the purge pass removes it unless undeleted or held first. */
  purgeTime?: Date;
}

export interface Version {
  storeId: string;
  resourceType: string;
  resourceId: string;
  version: number;
  snapshotId: string;
  authorId: string;
  notes: string;
  message: string;
  createTime: Date;
}

/** Validated input of CreateSnapshot/UploadSnapshot, minus the content. */
export interface SnapshotSpec {
  storeId: string;
  resourceType: string;
  resourceId: string;
  snapshotType: SnapshotType;
  tags: string[];
  labels: Record<string, unknown>;
  metadata: SnapshotMetadata;
  ttlDays: number;
  encrypt: boolean;
  idempotencyKey: string;
  /** Optional: upload sessions recorded before resource versions existed have none. */
  resourceVersion?: string;
}

export interface SnapshotFilter {
  storeId: string;
  resourceType?: string;
  resourceId?: string;
  tag?: string;
  createdBy?: string;
  since?: Date;
  until?: Date;
  snapshotType?: SnapshotType;
  minSize?: number;
  jobId?: string;
  labelsMatch?: Record<string, unknown>;
  showDeleted: boolean;
}

/** Etag of a snapshot's metadata: stable for a generation, opaque to clients. */
export function snapshotEtag(s: Pick<Snapshot, "id" | "generation">): string {
  return `"${s.id.slice(-12)}-${s.generation}"`;
}

/** True while a protection with `expireTime` still protects at `now`. */
export const protects = (expireTime: Date | null | undefined, now: Date): boolean => !expireTime || expireTime.getTime() > now.getTime();
