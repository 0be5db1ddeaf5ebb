/**
 * PostgreSQL errors as raised through drizzle (which wraps the driver's error in `cause`): the
 * adapter edge uses these to turn constraint violations into domain errors.
 */
interface PgError {
  code: string;
  constraint_name?: string;
}

/** The driver's error inside `err` (drizzle wraps it in `cause`), if there is one. */
export function pgErrorOf(err: unknown): PgError | undefined {
  for (let e = err, depth = 0; e && typeof e === "object" && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return e as PgError;
  }
  return undefined;
}

/** True when `err` is a unique violation (23505) of the index or constraint `name`. */
export function isUniqueViolation(err: unknown, name: string): boolean {
  const pg = pgErrorOf(err);
  return pg?.code === "23505" && pg.constraint_name === name;
}
