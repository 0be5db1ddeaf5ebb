import { and, desc, eq, lt, or, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";

/** A position in a list ordered newest first: the (create_time, id) of the last row already returned. */
export interface TimeIdCursor {
  createTime: Date;
  id: string;
}

/**
 * Keyset pagination on (create_time desc, id desc): the condition selecting the rows that come
 * after `cursor` in that order, or undefined without a cursor (so it can go straight into `and`).
 * Pair it with `newestFirst` on the same columns; the id breaks ties between equal create times.
 */
export function afterCursor(createTime: PgColumn, id: PgColumn, cursor: TimeIdCursor | undefined): SQL | undefined {
  if (!cursor) return undefined;
  return or(lt(createTime, cursor.createTime), and(eq(createTime, cursor.createTime), lt(id, cursor.id)));
}

/** The order `afterCursor` pages through: create_time descending, then id descending. */
export function newestFirst(createTime: PgColumn, id: PgColumn): [SQL, SQL] {
  return [desc(createTime), desc(id)];
}
