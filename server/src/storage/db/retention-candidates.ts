import { and, asc, count, eq, gt, sql, type SQL } from "drizzle-orm";
import { invalidField } from "../../domain/errors.js";
import type { RetentionCandidateSource, ScannedCandidate } from "../../domain/retention/ports.js";
import type { Db } from "./client.js";
import { shares, snapshots } from "./schema/index.js";
import { activeLock, activePin } from "./snapshot-protection-sql.js";

/** Rows read per statement of a walk. */
const SCAN_BATCH = 2000;
/** Share ids named per snapshot (one is enough to keep it). */
const MAX_SHARE_IDS = 3;

/** A walk position: (resource_type, resource_id, create_time with microseconds, id). */
type Position = [string, string, string, string];

function parsePosition(text: string): Position {
  let p: unknown;
  try {
    p = JSON.parse(text);
  } catch {
    p = undefined;
  }
  if (!Array.isArray(p) || p.length !== 4 || !p.every((x) => typeof x === "string") || !/^[0-9a-f-]{36}$/.test(p[3]) || !/^\d{4}-\d\d-\d\dT[\d:.]+$/.test(p[2])) {
    throw invalidField("page_token", "is not a token this server issued");
  }
  return p as Position;
}

/** `(resource_type, resource_id, create_time, id) > position`, in the walk's (index) order. */
const beyond = (p: Position): SQL =>
  sql`(${snapshots.resourceType}, ${snapshots.resourceId}, ${snapshots.createTime}, ${snapshots.id}) > (${p[0]}, ${p[1]}, (${p[2]}::timestamp at time zone 'UTC'), ${p[3]}::uuid)`;

/**
 * Walks a store's ACTIVE snapshots in (resource_type, resource_id, create_time, id) order, in keyset
 * batches over the partial index snapshots_retention_idx, so each statement is short and a resource
 * group's rows arrive together. Pins, locks and share links are evaluated as of `now`.
 */
export function createRetentionCandidateSource(db: Db): RetentionCandidateSource {
  return {
    async count(storeId) {
      const [{ n }] = await db.select({ n: count() }).from(snapshots).where(and(eq(snapshots.storeId, storeId), eq(snapshots.state, "ACTIVE")));
      return Number(n);
    },

    async *scan(storeId, now, after) {
      const cursor = after === undefined ? undefined : parsePosition(after);
      let last: Position | undefined;
      for (;;) {
        const rows = await db
          .select({
            id: snapshots.id,
            resourceType: snapshots.resourceType,
            resourceId: snapshots.resourceId,
            version: snapshots.version,
            tags: snapshots.tags,
            createTime: snapshots.createTime,
            size: snapshots.size,
            contentRef: snapshots.contentRef,
            held: snapshots.held,
            pinned: sql<boolean>`${activePin(now)}`,
            locked: sql<boolean>`${activeLock(now)}`,
            // A builder subquery: raw SQL in a select list renders columns unqualified.
            shareIds: sql<string[]>`array${db
              .select({ id: sql`${shares.id}::text` })
              .from(shares)
              .where(and(eq(shares.storeId, snapshots.storeId), eq(shares.snapshotId, snapshots.id), eq(shares.revoked, false), gt(shares.expireTime, now)))
              .orderBy(asc(shares.id))
              .limit(MAX_SHARE_IDS)}`,
            micros: sql<string>`to_char(${snapshots.createTime} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`,
            afterCursor: cursor ? sql<boolean>`${beyond(cursor)}` : sql<boolean>`true`,
          })
          .from(snapshots)
          .where(and(eq(snapshots.storeId, storeId), eq(snapshots.state, "ACTIVE"), last ? beyond(last) : undefined))
          .orderBy(asc(snapshots.resourceType), asc(snapshots.resourceId), asc(snapshots.createTime), asc(snapshots.id))
          .limit(SCAN_BATCH);
        for (const r of rows) {
          const position: Position = [r.resourceType, r.resourceId, r.micros, r.id];
          const c: ScannedCandidate = {
            id: r.id,
            resourceType: r.resourceType,
            resourceId: r.resourceId,
            version: r.version,
            tags: r.tags,
            createTime: r.createTime,
            size: r.size,
            contentRef: r.contentRef,
            pinned: r.pinned,
            locked: r.locked,
            held: r.held,
            liveShareIds: r.shareIds,
            position: JSON.stringify(position),
            afterCursor: r.afterCursor,
          };
          yield c;
          last = position;
        }
        if (rows.length < SCAN_BATCH) return;
      }
    },
  };
}
