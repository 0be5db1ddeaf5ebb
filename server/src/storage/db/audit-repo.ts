import { createHash } from "node:crypto";
import { and, asc, desc, eq, gt, gte, lt, sql, type SQL } from "drizzle-orm";
import { uuidv7 } from "uuidv7";
import { auditJson, auditSnapshotId, GLOBAL_AUDIT_STORE, type AuditContext, type AuditRecord } from "../../domain/audit/audit-context.js";
import { genesisHash, nextAuditEvent, type AuditEvent } from "../../domain/audit/audit-event.js";
import type { AuditRepository, StoredAuditEvent } from "../../domain/audit/audit-queries.js";
import { parseDigest, Sha256 } from "../../domain/digest.js";
import type { Db } from "./client.js";
import { outboxInsert, outboxNotify } from "./event-repo.js";
import { jsonColumn as column, jsonRowsInsert, type JsonColumn } from "./json-rows.js";
import { auditEvents, auditHeads, type AuditEventRow } from "./schema/index.js";

export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

type EventRow = { event: AuditEvent; snapshotId: string | null };
const AUDIT_COLUMNS: JsonColumn<EventRow>[] = [
  column("id", "uuid", (r) => r.event.id),
  column("store_id", "text", (r) => r.event.storeId),
  column("seq", "bigint", (r) => r.event.seq),
  column("actor", "text", (r) => r.event.actor),
  column("action", "text", (r) => r.event.action),
  column("resource_type", "text", (r) => r.event.resourceType),
  column("resource_id", "text", (r) => r.event.resourceId),
  column("snapshot_id", "text", (r) => r.snapshotId),
  column("before", "jsonb", (r) => r.event.before),
  column("after", "jsonb", (r) => r.event.after),
  column("request_id", "text", (r) => r.event.requestId),
  column("time", "timestamptz", (r) => r.event.time),
  column("prev_hash", "text", (r) => r.event.prevHash.toHex()),
  column("hash", "text", (r) => r.event.hash.toHex()),
];

/**
 * Appends one event to the store's chain inside the caller's transaction. The head row is taken
 * with an upsert, which locks it until the transaction ends: writers of one store are serialised
 * and seq stays dense. Callers take the head lock last (after their own row locks) so lock order is
 * the same everywhere. Time is the append time, millisecond precision.
 */
export async function appendAuditTx(tx: Tx, ctx: AuditContext, record: AuditRecord): Promise<AuditEvent> {
  const [event] = await appendAuditManyTx(tx, ctx, [record]);
  return event;
}

/**
 * Appends events for `records` (all of one store), in order, as consecutive links of the store's
 * chain: one head lock, then the multi-row insert and the head update in one statement. Same rules
 * as appendAuditTx. A record's own `context` (the request that made that change, when changes of
 * several requests commit together) takes the place of `ctx`. The records whose action is an event type also land in the event outbox
 * (event-repo.ts), in the same transaction.
 */
export async function appendAuditManyTx(
  tx: Tx,
  ctx: AuditContext,
  records: readonly (AuditRecord & { readonly context?: AuditContext })[],
): Promise<AuditEvent[]> {
  if (records.length === 0) return [];
  const storeId = records[0].storeId;
  if (records.some((r) => r.storeId !== storeId)) throw new TypeError("one audit append is for one store");
  const [head] = await tx
    .insert(auditHeads)
    .values({ storeId, seq: 0, hash: genesisHash().toHex() })
    .onConflictDoUpdate({ target: auditHeads.storeId, set: { storeId: sql`excluded.store_id` } })
    .returning();
  let prev = head.seq === 0 ? undefined : { storeId, seq: head.seq, hash: digestOf(head.hash) };
  const time = new Date();
  const rows = records.map((record) => {
    const { actor, requestId } = record.context ?? ctx;
    const before = auditJson(record.before);
    const after = auditJson(record.after);
    const event = nextAuditEvent(prev, {
      id: uuidv7(),
      storeId,
      actor,
      action: record.action,
      resourceType: record.resourceType,
      resourceId: record.resourceId,
      before,
      after,
      requestId,
      time,
    });
    prev = event;
    return { event, snapshotId: auditSnapshotId({ ...record, before, after }) };
  });
  const last = rows[rows.length - 1].event;
  // The events, their outbox rows and the new head in one statement: one round trip while the
  // head is locked. The outbox row of each change that is an event commits (or not) with its audit
  // event, and its NOTIFY is delivered only on commit.
  const outbox = storeId === GLOBAL_AUDIT_STORE ? undefined : outboxInsert(rows.map((r) => r.event));
  await tx.execute(sql`with appended as (${jsonRowsInsert("audit_events", AUDIT_COLUMNS, rows)})${outbox ? sql`, outbox as (${outbox})` : sql``}
    update audit_heads set seq = ${last.seq}, hash = ${last.hash.toHex()} where store_id = ${storeId}${outbox ? sql` returning ${outboxNotify(storeId)}` : sql``}`);
  return rows.map((r) => r.event);
}

export function createAuditRepository(db: Db): AuditRepository {
  return {
    async listAfter(storeId, afterSeq, limit) {
      const rows = await db
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.storeId, storeId), gt(auditEvents.seq, afterSeq)))
        .orderBy(asc(auditEvents.seq))
        .limit(limit);
      return rows.map(toVerifiableEvent);
    },

    async head(storeId) {
      const [row] = await db.select().from(auditHeads).where(eq(auditHeads.storeId, storeId));
      return row ? { seq: row.seq, hash: digestOf(row.hash) } : { seq: 0, hash: genesisHash() };
    },

    async list(filter, limit, beforeSeq) {
      const c: (SQL | undefined)[] = [eq(auditEvents.storeId, filter.storeId)];
      if (filter.actor) c.push(eq(auditEvents.actor, filter.actor));
      if (filter.action) c.push(eq(auditEvents.action, filter.action));
      if (filter.resourceType) c.push(eq(auditEvents.resourceType, filter.resourceType));
      if (filter.resourceId) c.push(eq(auditEvents.resourceId, filter.resourceId));
      if (filter.since) c.push(gte(auditEvents.time, filter.since));
      if (filter.until) c.push(lt(auditEvents.time, filter.until));
      if (beforeSeq !== undefined) c.push(lt(auditEvents.seq, beforeSeq));
      const rows = await db.select().from(auditEvents).where(and(...c)).orderBy(desc(auditEvents.seq)).limit(limit);
      return rows.map(toStoredEvent);
    },

    async listForSnapshot(storeId, snapshotId, limit, afterSeq) {
      const rows = await db
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.storeId, storeId), eq(auditEvents.snapshotId, snapshotId), gt(auditEvents.seq, afterSeq)))
        .orderBy(asc(auditEvents.seq))
        .limit(limit);
      return rows.map(toStoredEvent);
    },

    async listRange(storeId, afterSeq, limit, since, until) {
      const rows = await db
        .select()
        .from(auditEvents)
        .where(
          and(
            eq(auditEvents.storeId, storeId),
            gt(auditEvents.seq, afterSeq),
            since ? gte(auditEvents.time, since) : undefined,
            until ? lt(auditEvents.time, until) : undefined,
          ),
        )
        .orderBy(asc(auditEvents.seq))
        .limit(limit);
      return rows.map(toStoredEvent);
    },
  };
}

/**
 * A stored hash as a digest. Text that is not a digest (only possible after tampering) maps to a
 * digest that matches nothing real, so verification reports it instead of crashing.
 */
function digestOf(hex: string): Sha256 {
  return parseDigest(hex) ?? Sha256.fromBytes(createHash("sha256").update(`not-a-digest:${hex}`).digest());
}

function toStoredEvent(r: AuditEventRow): StoredAuditEvent {
  return {
    id: r.id,
    storeId: r.storeId,
    seq: r.seq,
    actor: r.actor,
    action: r.action,
    resourceType: r.resourceType,
    resourceId: r.resourceId,
    snapshotId: r.snapshotId,
    before: r.before ?? null,
    after: r.after ?? null,
    requestId: r.requestId,
    time: r.time,
    prevHash: digestOf(r.prevHash),
    hash: digestOf(r.hash),
  };
}

/**
 * The event as the verifier should see it. The indexed snapshot_id column is not hashed; it must
 * equal what the hashed fields imply, and when it does not (someone edited it to hide an event from
 * GetSnapshotAudit) the event's hash is replaced so verification fails at this seq.
 */
function toVerifiableEvent(r: AuditEventRow): AuditEvent {
  const e = toStoredEvent(r);
  const derived = auditSnapshotId({ resourceType: e.resourceType as "snapshot", resourceId: e.resourceId, before: e.before, after: e.after });
  if (derived !== e.snapshotId) return { ...e, hash: digestOf(`snapshot-column-mismatch:${r.hash}`) };
  return e;
}
