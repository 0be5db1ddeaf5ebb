import { sql, type SQL } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import type { Db } from "./client.js";

/** How many rows match a filter: exact, or the planner's estimate when there are many. */
export interface MatchCount {
  n: number;
  estimated: boolean;
}

/** Up to this many matches are counted exactly; the cost of a count is bounded by it. */
export const EXACT_COUNT_LIMIT = 1_000;

/** One row per row of `table` that `where` matches, with nothing read from it. */
const matching = (db: Db, table: PgTable, where: SQL) => db.select({ one: sql`1` }).from(table).where(where);

/**
 * The number of rows of `table` matching `where`, counting at most `exactUpTo + 1` of them: a
 * scalar subquery, to count in the statement that reads a page (matchCountFrom takes it on).
 */
export const boundedCount = (db: Db, table: PgTable, where: SQL, exactUpTo = EXACT_COUNT_LIMIT): SQL<number> =>
  sql<number>`(select count(*)::int from (${matching(db, table, where).limit(exactUpTo + 1)}) m)`;

/**
 * The MatchCount of a bounded count `n` (boundedCount): exact when `n` is within `exactUpTo`;
 * otherwise PostgreSQL's plan estimate for the filter (never below `exactUpTo + 1`, so an estimate
 * is always larger than any exact answer), from one EXPLAIN.
 */
export async function matchCountFrom(db: Db, table: PgTable, where: SQL, n: number, exactUpTo = EXACT_COUNT_LIMIT): Promise<MatchCount> {
  if (n <= exactUpTo) return { n, estimated: false };
  const plan = await db.execute<{ "QUERY PLAN": [{ Plan: { "Plan Rows": number } }] }>(
    sql`explain (format json) ${matching(db, table, where)}`,
  );
  const rows = Math.round(Number(plan[0]?.["QUERY PLAN"]?.[0]?.Plan?.["Plan Rows"] ?? 0));
  return { n: Math.min(Math.max(rows, exactUpTo + 1), 2 ** 31 - 1), estimated: true };
}

/**
 * Counts the rows of `table` matching `where`, reading at most `exactUpTo + 1` of them. When more
 * match, the count is the plan estimate (matchCountFrom), and `estimated` is true. Cost does not
 * grow with the table: one bounded scan, plus one EXPLAIN when the bound is passed.
 */
export async function countMatches(db: Db, table: PgTable, where: SQL, exactUpTo = EXACT_COUNT_LIMIT): Promise<MatchCount> {
  const [{ n }] = await db.execute<{ n: number }>(sql`select ${boundedCount(db, table, where, exactUpTo)} as n`);
  return matchCountFrom(db, table, where, n, exactUpTo);
}
