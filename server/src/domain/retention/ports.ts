import type { AuditContext, AuditRecord } from "../audit/audit-context.js";
import type { Page, SnapshotCursor } from "../ports.js";
import type { Reason, RetentionCandidate, RetentionRule, RetentionRuleSpec } from "./types.js";

/** A candidate as the store walk yields it: with an opaque position for preview page tokens. */
export interface ScannedCandidate extends RetentionCandidate {
  /** Opaque position in the walk order; `scan(…, after)` yields `afterCursor` relative to it. */
  position: string;
  /** True when this candidate comes after the `after` position given to `scan` (always without). */
  afterCursor: boolean;
}

/** The store's ACTIVE snapshots as retention sees them. */
export interface RetentionCandidateSource {
  /** Number of ACTIVE snapshots in the store. */
  count(storeId: string): Promise<number>;
  /**
   * Every ACTIVE snapshot of the store, with pins, locks and share links as of `now`, grouped: all
   * snapshots of one (resource_type, resource_id) come one after another. The order is stable
   * between calls. `after` is a `position` from an earlier walk.
   */
  scan(storeId: string, now: Date, after?: string): AsyncIterable<ScannedCandidate>;
}

/**
 * A source of protections that live outside the snapshot rows: pending restores, pending restore
 * approvals. Capabilities that add such state (the restore issue) plug in an implementation.
 */
export interface ProtectionSource {
  /** Keeping reasons, per snapshot id, for those of `ids` this source protects at `now`. */
  protect(storeId: string, ids: readonly string[], now: Date): Promise<Map<string, Reason[]>>;
}

/** Lineage between snapshots (the lineage issue plugs in an implementation). */
export interface LineageSource {
  /**
   * For each snapshot of `candidates` that is a lineage parent of an ACTIVE snapshot not in
   * `candidates`: one such child's id.
   */
  parentsOfKept(storeId: string, candidates: ReadonlySet<string>): Promise<Map<string, string>>;
}

/** Estimates what garbage collection frees once snapshots are gone. */
export interface ReclaimEstimator {
  /**
   * Stored bytes of the chunks that the given snapshots' contents reference and no other ACTIVE
   * snapshot of the store does.
   */
  reclaimableBytes(storeId: string, doomed: readonly { id: string; contentRef: string }[]): Promise<number>;
}

/** One retention deletion: the snapshot and the rule reasons that selected it. */
export interface RetentionDeletion {
  id: string;
  reasons: readonly Reason[];
}

/** Applies retention deletions. */
export interface RetentionDeleter {
  /**
   * Soft-deletes each snapshot that is, at `at.deleteTime`, still ACTIVE and unprotected (no
   * unexpired pin or lock, no hold, no live share link, and a newer ACTIVE version of its resource
   * exists when it has a resource id), each with a `retention.delete` audit event naming its
   * reasons and `jobId` when given. Returns the ids deleted; the others were skipped.
   */
  softDelete(
    storeId: string,
    batch: readonly RetentionDeletion[],
    at: { deleteTime: Date; purgeTime: Date },
    audit: AuditContext,
    jobId?: string,
  ): Promise<string[]>;
}

/** Appends one audit event outside any other change (e.g. retention.run.completed). */
export interface AuditLog {
  append(audit: AuditContext, record: AuditRecord): Promise<void>;
}

export type RuleCursor = SnapshotCursor;

/** Retention rule persistence; every change is audited in its transaction. */
export interface RetentionRuleRepository {
  /** Inserts a rule; ALREADY_EXISTS when the name is taken; FAILED_PRECONDITION past `maxRules`. */
  insert(rule: RetentionRule, maxRules: number, audit: AuditContext): Promise<RetentionRule>;
  get(storeId: string, id: string): Promise<RetentionRule | undefined>;
  list(storeId: string, pageSize: number, after?: RuleCursor): Promise<Page<RetentionRule, RuleCursor>>;
  /** Every rule of the store (at most MAX_RULES exist). */
  all(storeId: string): Promise<RetentionRule[]>;
  /**
   * Under the row lock: ABORTED when `etag` is given and not current; applies `change` to the
   * current spec; bumps the generation. Undefined when the rule does not exist.
   */
  update(
    storeId: string,
    id: string,
    opts: { etag?: string; now: Date; audit: AuditContext; change: (current: RetentionRule) => RetentionRuleSpec },
  ): Promise<RetentionRule | undefined>;
  /** Deletes; ABORTED on etag mismatch; false when it does not exist. */
  delete(storeId: string, id: string, etag: string | undefined, audit: AuditContext): Promise<boolean>;
}
