import { sql, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";

/** A position in a list ordered newest first: the (create_time, id) of the last row already returned. */
export interface TimeIdCursor {
  createTime: Date;
  id: string;
}

/**
 * `column DESC NULLS LAST`: the order of the `desc()` columns of drizzle-kit's indexes (every
 * "newest first" index in the migrations). A plain `DESC` means NULLS FIRST, which no such index
 * matches, so PostgreSQL sorted the whole filtered set for each page (0.84 s per ListSnapshots page
 * at 1,000,000 snapshots, against 0.2 ms through the index). The columns ordered this way are NOT
 * NULL, so the two orders are the same rows in the same order.
 */
export const descNullsLast = (column: PgColumn): SQL => sql`${column} desc nulls last`;

/**
 * Keyset pagination on (create_time desc, id desc): the condition selecting the rows that come
 * after `cursor` in that order, or undefined without a cursor (so it can go straight into `and`).
 * Pair it with `newestFirst` on the same columns; the id breaks ties between equal create times.
 * A row comparison, which a (…, create_time desc, id desc) index takes as its scan bound, so a deep
 * page costs what the first does (an OR of the two cases was a filter over every earlier row).
 */
export function afterCursor(createTime: PgColumn, id: PgColumn, cursor: TimeIdCursor | undefined): SQL | undefined {
  if (!cursor) return undefined;
  return sql`(${createTime}, ${id}) < (${sql.param(cursor.createTime, createTime)}, ${sql.param(cursor.id, id)})`;
}

/** The order `afterCursor` pages through: create_time descending, then id descending. */
export function newestFirst(createTime: PgColumn, id: PgColumn): [SQL, SQL] {
  return [descNullsLast(createTime), descNullsLast(id)];
}
