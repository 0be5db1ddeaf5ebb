import { and, asc, eq, gt, lt, or, sql, type SQL } from "drizzle-orm";
import type { AuditEvent } from "../../domain/audit/audit-event.js";
import type { EventPage, EventReader } from "../../domain/events/ports.js";
import { eventTypeOf } from "../../domain/events/event-types.js";
import type { EventFilter, StoredEvent } from "../../domain/events/types.js";
import { auditSnapshotId } from "../../domain/audit/audit-context.js";
import type { Db } from "./client.js";
import { auditHeads, events, type EventRow } from "./schema/index.js";

/** NOTIFY channel of the event outbox; the payload is the store id. */
export const EVENT_CHANNEL = "vellum_events";

const stateField = (state: unknown, key: string): unknown => (state && typeof state === "object" ? (state as Record<string, unknown>)[key] : undefined);

/**
 * The outbox insert for freshly appended audit events (those whose action is an event type), to
 * run as a data-modifying WITH of the audit append's statement (audit-repo.ts), inside its
 * transaction; undefined when none is an event. Resource type and tags of the concerned snapshot
 * come from its row, falling back to the audited state (a purged snapshot has no row). The
 * statement that runs it must also call `outboxNotify`, whose NOTIFY PostgreSQL delivers only if
 * the transaction commits.
 */
export function outboxInsert(appended: readonly AuditEvent[]): SQL | undefined {
  const rows = appended.flatMap((a) => {
    const type = eventTypeOf(a.action);
    if (!type) return [];
    const data = a.after ?? a.before ?? null;
    const state = a.after ?? a.before;
    const subject = stateField(state, "resourceType");
    const tags = stateField(state, "tags");
    return [{
      store_id: a.storeId,
      seq: a.seq,
      id: a.id,
      type,
      resource_type: a.resourceType,
      resource_id: a.resourceId,
      snapshot_id: auditSnapshotId({ ...a, resourceType: a.resourceType as "snapshot" }),
      subject_resource_type: typeof subject === "string" ? subject : a.resourceType === "snapshot" ? "" : a.resourceType,
      tags: Array.isArray(tags) ? tags.filter((t) => typeof t === "string") : [],
      actor: a.actor,
      data,
      time: a.time.toISOString(),
    }];
  });
  if (rows.length === 0) return undefined;
  return sql`
    insert into events (store_id, seq, id, type, resource_type, resource_id, snapshot_id, subject_resource_type, tags, actor, data, time)
    select x.store_id, x.seq, x.id, x.type, x.resource_type, x.resource_id, x.snapshot_id,
           coalesce(s.resource_type, x.subject_resource_type), coalesce(s.tags, x.tags), x.actor, x.data, x.time
    from json_to_recordset(${JSON.stringify(rows)}::json) as x(
      store_id text, seq bigint, id uuid, type text, resource_type text, resource_id text, snapshot_id text,
      subject_resource_type text, tags text[], actor text, data jsonb, time timestamptz)
    left join snapshots s
      on s.store_id = x.store_id
     and s.id = case when x.snapshot_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then x.snapshot_id::uuid end`;
}

/** The NOTIFY that wakes watchers and dispatchers of `storeId` once the outbox rows commit. */
export const outboxNotify = (storeId: string): SQL => sql`pg_notify(${EVENT_CHANNEL}, ${storeId})`;

function filterSql(f: EventFilter): SQL | undefined {
  const parts: (SQL | undefined)[] = [];
  if (f.types.length) {
    const exact = f.types.filter((t) => !t.endsWith(".*"));
    const prefixes = f.types.filter((t) => t.endsWith(".*")).map((t) => `${t.slice(0, -1).replace(/[\\%_]/g, "\\$&")}%`);
    parts.push(or(exact.length ? sql`${events.type} = any(${sql.param(exact)}::text[])` : undefined, ...prefixes.map((p) => sql`${events.type} like ${p}`)));
  }
  if (f.resourceType) parts.push(eq(events.subjectResourceType, f.resourceType));
  if (f.tags.length) parts.push(sql`${events.tags} && ${sql.param([...f.tags])}::text[]`);
  return and(...parts);
}

export function toStoredEvent(r: EventRow): StoredEvent {
  return {
    seq: r.seq,
    id: r.id,
    storeId: r.storeId,
    type: r.type,
    resourceType: r.resourceType,
    resourceId: r.resourceId,
    snapshotId: r.snapshotId,
    subjectResourceType: r.subjectResourceType,
    tags: r.tags,
    actor: r.actor,
    time: r.time,
    data: r.data ?? null,
  };
}

export function createEventReader(db: Db): EventReader {
  return {
    // One repeatable-read snapshot for the page and the head, so `next` never skips an event that
    // committed between the two reads.
    listAfter: (storeId, after, limit, filter) =>
      db.transaction(
        async (tx): Promise<EventPage> => {
          const rows = await tx
            .select()
            .from(events)
            .where(and(eq(events.storeId, storeId), gt(events.seq, after), filterSql(filter)))
            .orderBy(asc(events.seq))
            .limit(limit);
          if (rows.length === limit) return { events: rows.map(toStoredEvent), next: rows[rows.length - 1].seq };
          const [head] = await tx.select({ seq: auditHeads.seq }).from(auditHeads).where(eq(auditHeads.storeId, storeId));
          return { events: rows.map(toStoredEvent), next: Math.max(after, head?.seq ?? 0) };
        },
        { isolationLevel: "repeatable read", accessMode: "read only" },
      ),
    async head(storeId) {
      const [head] = await db.select({ seq: auditHeads.seq }).from(auditHeads).where(eq(auditHeads.storeId, storeId));
      return head?.seq ?? 0;
    },
    async get(storeId, seq) {
      const [row] = await db.select().from(events).where(and(eq(events.storeId, storeId), eq(events.seq, seq)));
      return row && toStoredEvent(row);
    },
    async pruneBefore(before) {
      const res = await db.execute(sql`delete from ${events} where ${lt(events.time, before)}`);
      return res.count;
    },
  };
}
