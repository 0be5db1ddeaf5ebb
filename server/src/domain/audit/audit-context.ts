/**
 * Who is changing something, and in which request: the part of an audit event the caller knows.
 * Every repository method that mutates state takes one and writes the event in the same
 * transaction as the change.
 */
export interface AuditContext {
  /** `auditActor(principal)`, e.g. `api_key:0a1b...`, `jwt:alice`, `share:<share id>`. */
  readonly actor: string;
  /** The request id echoed to the client in `x-request-id`. */
  readonly requestId: string;
}

/** Store id of the global audit chain (API key administration). Never a valid store id. */
export const GLOBAL_AUDIT_STORE = "*";

/** What a repository records about one change (the rest of the event is derived). */
export interface AuditRecord {
  readonly storeId: string;
  /** e.g. "snapshot.create", "share.revoke". */
  readonly action: string;
  readonly resourceType: "snapshot" | "version" | "job" | "share" | "api_key" | "retention_rule" | "store" | "annotation" | "webhook" | "restore_target" | "restore_approval" | "policy";
  readonly resourceId: string;
  /** State before the change (null for creations and uses); plain JSON after `auditJson`. */
  readonly before: unknown;
  /** State after the change (null for removals). */
  readonly after: unknown;
}

/**
 * The value as it will read back from a JSON column: `undefined` becomes null, Dates become ISO
 * strings, undefined properties disappear. Hash what is stored, never the original object.
 */
export const auditJson = (value: unknown): unknown => (value === undefined ? null : JSON.parse(JSON.stringify(value)));

/**
 * The snapshot an event concerns, derived only from hashed fields: the resource itself for
 * snapshot events, otherwise `snapshotId` of the after (or before) state. Stored as an indexed
 * column for GetSnapshotAudit; verification re-derives it so editing the column is detected.
 */
export function auditSnapshotId(event: Pick<AuditRecord, "resourceType" | "resourceId" | "before" | "after">): string | null {
  if (event.resourceType === "snapshot") return event.resourceId;
  for (const state of [event.after, event.before]) {
    if (state && typeof state === "object" && typeof (state as { snapshotId?: unknown }).snapshotId === "string") {
      return (state as { snapshotId: string }).snapshotId;
    }
  }
  return null;
}
