/** Retention model: rules, the snapshots they are evaluated over, and explained decisions. */

/** The clauses and selectors of a rule, as a client sets them (see proto/vellum/v1/retention.proto). */
export interface RetentionRuleSpec {
  /** Unique within the store; decisions name it. */
  name: string;
  /** Selector: only snapshots carrying this tag ("" = any). */
  tag: string;
  /** Selector: only snapshots of this resource type ("" = any). */
  resourceType: string;
  keepLatestN: number;
  keepWithinDays: number;
  keepDaily: number;
  keepWeekly: number;
  keepMonthly: number;
  keepYearly: number;
  deleteOlderThanDays: number;
  /** Pinned snapshots are not matched (they use up no keep slot); they stay protected either way. */
  excludePinned: boolean;
  enabled: boolean;
  /** Canonical IANA time zone that day/week/month/year periods are computed in. */
  timeZone: string;
}

/** A stored rule. */
export interface RetentionRule extends RetentionRuleSpec {
  id: string;
  storeId: string;
  /** Increments on every change; the etag is derived from it. */
  generation: number;
  createdBy: string;
  createTime: Date;
  updateTime: Date;
}

/** A rule as evaluation sees it: a stored rule, or a what-if rule without an id (""). */
export type EvaluatedRule = RetentionRuleSpec & { id: string };

/** What retention needs to know about one ACTIVE snapshot, as of the evaluation time. */
export interface RetentionCandidate {
  id: string;
  resourceType: string;
  /** "" for snapshots not tied to a resource: those of one resource type form one group. */
  resourceId: string;
  /** 0 when the snapshot created no version. */
  version: number;
  tags: readonly string[];
  createTime: Date;
  size: number;
  contentRef: string;
  /** Unexpired pin / lock at the evaluation time; legal hold. */
  pinned: boolean;
  locked: boolean;
  held: boolean;
  /** Ids of share links to it that are live at the evaluation time. */
  liveShareIds: readonly string[];
}

export type ReasonKind =
  | "RULE_KEEP"
  | "RULE_DELETE"
  | "NOT_SELECTED"
  | "PINNED"
  | "LOCKED"
  | "LEGAL_HOLD"
  | "LATEST_VERSION"
  | "SHARE_LINK"
  | "PENDING_RESTORE"
  | "PENDING_APPROVAL"
  | "LINEAGE_PARENT";

/** Reasons that keep a snapshot whatever the rules say (everything but rule deletes and NOT_SELECTED). */
export const KEEPING_KINDS: ReadonlySet<ReasonKind> = new Set<ReasonKind>([
  "RULE_KEEP",
  "NOT_SELECTED",
  "PINNED",
  "LOCKED",
  "LEGAL_HOLD",
  "LATEST_VERSION",
  "SHARE_LINK",
  "PENDING_RESTORE",
  "PENDING_APPROVAL",
  "LINEAGE_PARENT",
]);

export type Clause =
  | "KEEP_LATEST_N"
  | "KEEP_WITHIN_DAYS"
  | "KEEP_DAILY"
  | "KEEP_WEEKLY"
  | "KEEP_MONTHLY"
  | "KEEP_YEARLY"
  | "DELETE_OLDER_THAN_DAYS"
  | "NOT_KEPT";

export interface Reason {
  kind: ReasonKind;
  /** Rule reasons: the rule ("" id for what-if rules). */
  ruleId?: string;
  ruleName?: string;
  clause?: Clause;
  /** Period clauses: "2026-12-03", "2026-W49", "2026-12" or "2026". */
  period?: string;
  /** The share, restore, approval or child snapshot the reason refers to. */
  subjectId?: string;
  /** One line for people. */
  description: string;
}

export type DecisionKind = "KEEP" | "DELETE";

export interface Decision {
  candidate: RetentionCandidate;
  decision: DecisionKind;
  /** KEEP: keeping reasons first, then any rule deletes they override. DELETE: the rule deletes. */
  reasons: Reason[];
}

export interface RetentionTotals {
  consideredCount: number;
  keepCount: number;
  deleteCount: number;
  deleteLogicalBytes: number;
  reclaimableBytes: number;
}

export const DAY_MS = 86_400_000;

/** True when the rule has at least one keep clause. */
export const hasKeepClause = (r: RetentionRuleSpec): boolean =>
  r.keepLatestN > 0 || r.keepWithinDays > 0 || r.keepDaily > 0 || r.keepWeekly > 0 || r.keepMonthly > 0 || r.keepYearly > 0;

/** Etag of a rule: stable for a generation, opaque to clients. */
export const ruleEtag = (r: Pick<RetentionRule, "id" | "generation">): string => `"${r.id.slice(-12)}-${r.generation}"`;
