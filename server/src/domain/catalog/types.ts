/** Domain model and ports of the catalog: tag counts, annotations, resource lookups. */
import type { AuditContext } from "../audit/audit-context.js";
import type { ResourceKey } from "../ports.js";

export interface TagCount {
  tag: string;
  /** Live (ACTIVE) snapshots carrying the tag. */
  count: number;
}

/** A position in ListTags order (count descending, tag ascending): the last entry returned. */
export interface TagCursor {
  count: number;
  tag: string;
}

export interface TagCountRepository {
  /** Tags with a live count above zero, starting with `prefix`, after `after` in ListTags order. */
  list(storeId: string, prefix: string, limit: number, after?: TagCursor): Promise<TagCount[]>;
}

export interface Annotation {
  id: string;
  storeId: string;
  snapshotId: string;
  authorId: string;
  message: string;
  /** Audit actor of the principal that added it. */
  createdBy: string;
  createTime: Date;
}

export interface AnnotationRepository {
  /**
   * In one transaction: locks the snapshot; NOT_FOUND when it does not exist, FAILED_PRECONDITION
   * (SNAPSHOT_DELETED) when it is not ACTIVE, RESOURCE_EXHAUSTED when it already has `maxPerSnapshot`
   * annotations; inserts the annotation (which refreshes the snapshot's search vector) and writes
   * the audit event "snapshot.annotate".
   */
  add(annotation: Annotation, opts: { maxPerSnapshot: number; audit: AuditContext }): Promise<Annotation>;
  /** Whether the snapshot exists in the store (in any state). */
  snapshotExists(storeId: string, snapshotId: string): Promise<boolean>;
  /** A snapshot's annotations newest first (create_time, id), after `after`. */
  list(storeId: string, snapshotId: string, limit: number, after?: { createTime: Date; id: string }): Promise<Annotation[]>;
}

export interface ResourceLookup {
  /** The newest live snapshot of the resource (with `resourceVersion` when given), if any. */
  latestLive(key: ResourceKey, resourceVersion?: string): Promise<{ id: string } | undefined>;
}
