/**
 * Which audited changes are events, and under which type. An audit action missing here (share
 * resolves, API key administration, rule edits, ...) produces no event. Event type names are the
 * public contract of WatchEvents, ListEvents and webhooks (see proto/vellum/v1/event.proto).
 * Restores, exports, imports and composes are audited when their job succeeds
 * (domain/jobs/completion-audit.ts); a restore is requested as job.created (type RESTORE_SNAPSHOT)
 * and fails as job.failed; approvals are audited by the approval repository.
 */
export const EVENT_TYPE_BY_AUDIT_ACTION: Readonly<Record<string, string>> = {
  "snapshot.create": "snapshot.created",
  "snapshot.delete": "snapshot.deleted",
  "retention.delete": "snapshot.deleted",
  "snapshot.expire": "snapshot.deleted",
  "snapshot.undelete": "snapshot.undeleted",
  "snapshot.purge": "snapshot.purged",
  "snapshot.restore": "snapshot.restored",
  "snapshot.pin": "snapshot.pinned",
  "snapshot.unpin": "snapshot.unpinned",
  "snapshot.update": "snapshot.updated",
  "snapshot.export": "snapshot.exported",
  "snapshot.import": "snapshot.imported",
  "snapshot.compose": "snapshot.composed",
  "snapshot.storage_class": "snapshot.storage_class_changed",
  "snapshot.rehydrate": "snapshot.rehydrated",
  "snapshot.tag": "snapshot.tagged",
  "snapshot.untag": "snapshot.untagged",
  "snapshot.annotate": "snapshot.annotated",
  "snapshot.consume": "snapshot.consumed",
  "version.create": "version.created",
  "policy.run.completed": "policy.run.completed",
  "retention.run.completed": "retention.run.completed",
  "job.create": "job.created",
  "job.cancel": "job.cancelled",
  "job.fail": "job.failed",
  "restore_approval.request": "approval.requested",
  "restore_approval.approve": "approval.approved",
  "restore_approval.reject": "approval.rejected",
};

/** Every event type, sorted. */
export const EVENT_TYPES: readonly string[] = [...new Set(Object.values(EVENT_TYPE_BY_AUDIT_ACTION))].sort();

/** The event type of an audit action, or undefined when the action is not an event. */
export const eventTypeOf = (auditAction: string): string | undefined => EVENT_TYPE_BY_AUDIT_ACTION[auditAction];
