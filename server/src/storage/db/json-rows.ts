import { sql, type SQL } from "drizzle-orm";
import type { Tx } from "./audit-repo.js";

/** A column of a bulk insert: its name and the SQL type its JSON value is read as. */
export interface JsonColumn<R> {
  name: string;
  type: string;
  value: (row: R) => unknown;
}

export const jsonColumn = <R>(name: string, type: string, value: (row: R) => unknown): JsonColumn<R> => ({ name, type, value });

/**
 * Inserts many rows with one statement and one JSON text parameter (json_to_recordset), instead of
 * one bound parameter per value: building and sending tens of thousands of parameters through the
 * query builder cost several times what the database spent on the insert. `columns` come from code,
 * never from input; values travel only inside the JSON parameter.
 */
export async function insertJsonRows<R>(tx: Tx, table: string, columns: readonly JsonColumn<R>[], rows: readonly R[], suffix: SQL = sql``): Promise<void> {
  if (rows.length === 0) return;
  await tx.execute(jsonRowsInsert(table, columns, rows, suffix));
}

/** The statement insertJsonRows runs, to be sent on its own or as a data-modifying CTE of another. */
export function jsonRowsInsert<R>(table: string, columns: readonly JsonColumn<R>[], rows: readonly R[], suffix: SQL = sql``): SQL {
  const names = sql.raw(columns.map((c) => `"${c.name}"`).join(", "));
  const types = sql.raw(columns.map((c) => `"${c.name}" ${c.type}`).join(", "));
  const json = JSON.stringify(rows.map((r) => Object.fromEntries(columns.map((c) => [c.name, c.value(r)]))));
  return sql`insert into ${sql.identifier(table)} (${names}) select ${names} from json_to_recordset(${json}::json) as x(${types}) ${suffix}`;
}
