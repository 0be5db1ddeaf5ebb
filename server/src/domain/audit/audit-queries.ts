import type { Sha256 } from "../digest.js";
import { invalidField } from "../errors.js";
import { decodePageToken, encodePageToken, pageSizeOf } from "../paging.js";
import { STORE_ID_RE, Validator } from "../validate.js";
import { GLOBAL_AUDIT_STORE } from "./audit-context.js";
import type { AuditEvent } from "./audit-event.js";
import { verifyStoredAuditChain, type AuditChainResult, type AuditEventReader } from "./verify-audit-chain.js";

/** A stored event plus the indexed snapshot it concerns. */
export interface StoredAuditEvent extends AuditEvent {
  readonly snapshotId: string | null;
}

export interface AuditFilter {
  storeId: string;
  actor?: string;
  action?: string;
  resourceType?: string;
  resourceId?: string;
  since?: Date;
  until?: Date;
}

/** Read port over the stored audit log (the storage layer writes events inside mutations). */
export interface AuditRepository extends AuditEventReader {
  /** The recorded chain head; seq 0 with the genesis hash when the store has no events. */
  head(storeId: string): Promise<{ seq: number; hash: Sha256 }>;
  /** Filtered events, descending seq, strictly below `beforeSeq` when given. */
  list(filter: AuditFilter, limit: number, beforeSeq?: number): Promise<StoredAuditEvent[]>;
  /** Events concerning one snapshot, ascending seq, strictly above `afterSeq`. */
  listForSnapshot(storeId: string, snapshotId: string, limit: number, afterSeq: number): Promise<StoredAuditEvent[]>;
  /** Events in ascending seq above `afterSeq`, optionally within [since, until). */
  listRange(storeId: string, afterSeq: number, limit: number, since?: Date, until?: Date): Promise<StoredAuditEvent[]>;
}

/** Events per ExportAuditEvents message. */
export const EXPORT_BATCH = 500;

const seqCursor = (c: unknown) =>
  c && typeof c === "object" && Number.isSafeInteger((c as { s?: unknown }).s) ? (c as { s: number }).s : undefined;

/** Store ids the audit RPCs accept: a real store id or "*" for the global chain. */
function checkStore(v: Validator, storeId: string): void {
  if (storeId !== GLOBAL_AUDIT_STORE) v.pattern("store_id", storeId, STORE_ID_RE, 64, "1-64 characters of [A-Za-z0-9._-] or \"*\"");
}

/**
 * Audit reads. Authorization (scope, store visibility) happens before these run; they validate
 * inputs and page.
 */
export function createAuditQueries(deps: { audit: AuditRepository }) {
  const { audit } = deps;
  return {
    /** Events concerning one snapshot, oldest first. */
    async snapshotEvents(storeId: string, snapshotId: string, pageSize: number, pageToken: string) {
      const v = new Validator();
      v.storeId("store_id", storeId);
      v.uuid("snapshot_id", snapshotId);
      v.throwIfAny();
      const size = pageSizeOf(pageSize);
      const filters = { storeId, snapshotId: snapshotId.toLowerCase() };
      const after = decodePageToken(pageToken, filters, seqCursor) ?? 0;
      const rows = await audit.listForSnapshot(storeId, filters.snapshotId, size + 1, after);
      const events = rows.slice(0, size);
      const last = events[events.length - 1];
      return { events, nextPageToken: rows.length > size && last ? encodePageToken({ s: last.seq }, filters) : "" };
    },

    /** Filtered events, newest first. */
    async list(filter: AuditFilter, pageSize: number, pageToken: string) {
      const v = new Validator();
      checkStore(v, filter.storeId);
      for (const [field, value] of [["actor", filter.actor], ["action", filter.action], ["resource_type", filter.resourceType], ["resource_id", filter.resourceId]] as const) {
        if (value) v.maxLength(field, value, 256);
      }
      if (filter.since && filter.until && filter.since >= filter.until) v.add("until", "must be after since");
      v.throwIfAny();
      const size = pageSizeOf(pageSize);
      const before = decodePageToken(pageToken, filter, seqCursor);
      const rows = await audit.list(filter, size + 1, before);
      const events = rows.slice(0, size);
      const last = events[events.length - 1];
      return { events, nextPageToken: rows.length > size && last ? encodePageToken({ s: last.seq }, filter) : "" };
    },

    /** Verifies the whole chain against its recorded head. */
    async verify(storeId: string): Promise<AuditChainResult & { head: { seq: number; hash: Sha256 } }> {
      const v = new Validator();
      checkStore(v, storeId);
      v.throwIfAny();
      // Read the head first: events appended meanwhile lie after it and are verified as well.
      const head = await audit.head(storeId);
      const result = await verifyStoredAuditChain(audit, storeId, { checkpoint: head.seq > 0 ? head : undefined });
      return { ...result, head };
    },

    /** Batches of events in ascending seq, for export. */
    async *export(storeId: string, afterSeq: number, since?: Date, until?: Date, signal?: AbortSignal): AsyncGenerator<StoredAuditEvent[]> {
      const v = new Validator();
      checkStore(v, storeId);
      if (!Number.isSafeInteger(afterSeq) || afterSeq < 0) v.add("after_seq", "must not be negative");
      v.throwIfAny();
      if (since && until && since >= until) throw invalidField("until", "must be after since");
      let cursor = afterSeq;
      for (;;) {
        if (signal?.aborted) return;
        const batch = await audit.listRange(storeId, cursor, EXPORT_BATCH, since, until);
        if (batch.length > 0) yield batch;
        if (batch.length < EXPORT_BATCH) return;
        cursor = batch[batch.length - 1].seq;
      }
    },
  };
}

export type AuditQueries = ReturnType<typeof createAuditQueries>;
