/**
 * Recognises a lost or unreachable database in the errors postgres.js (and drizzle, which wraps
 * them as `cause`) raises, so callers can answer UNAVAILABLE (retry later) instead of INTERNAL.
 *
 * Unavailable means: postgres.js reports the connection closed, ended, destroyed or timed out, or
 * no pool connection became free in time (POOL_ACQUIRE_TIMEOUT, pool-gate.ts); a
 * query failed on a socket error (refused, reset, timed out, unresolvable: Node codes on an error
 * that carries the failed `query`, as postgres.js and drizzle errors do, so a client's own reset
 * is not taken for the database's); or PostgreSQL reported a connection exception (SQLSTATE class
 * 08), an administrator or crash shutdown (57P01, 57P02), that it cannot accept connections yet
 * (57P03, e.g. crash recovery after a restart), or too many connections (53300).
 */
import { DomainError } from "../../domain/errors.js";
import { pgErrorOf } from "./pg-errors.js";

const POSTGRES_JS_CODES = new Set(["CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "CONNECT_TIMEOUT", "POOL_ACQUIRE_TIMEOUT"]);
const SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);
const UNAVAILABLE_SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300"]);
/** How deep a cause chain is followed (drizzle wraps once; a bound keeps cycles harmless). */
const MAX_CAUSE_DEPTH = 5;

export function isDatabaseUnavailable(err: unknown): boolean {
  let e = err;
  let query = false;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && typeof e === "object" && e !== null; depth++) {
    const { name, code, cause } = e as { name?: unknown; code?: unknown; cause?: unknown };
    query ||= "query" in e;
    if (typeof code === "string") {
      if (POSTGRES_JS_CODES.has(code) || (query && SOCKET_CODES.has(code))) return true;
      if (name === "PostgresError" && (code.startsWith("08") || UNAVAILABLE_SQLSTATES.has(code))) return true;
    }
    e = cause;
  }
  return false;
}

/**
 * True when `err`, thrown out of a transaction, proves the transaction committed nothing: the
 * transaction's own code threw a domain error, or PostgreSQL answered a statement (or the COMMIT)
 * with an error. False when the connection was lost, since a COMMIT then may have taken effect.
 */
export function committedNothing(err: unknown): boolean {
  if (err instanceof DomainError) return true;
  // A SQLSTATE-shaped code alone is not enough: a bare socket error's EPIPE has the same shape.
  return !isDatabaseUnavailable(err) && (pgErrorOf(err) as { name?: unknown } | undefined)?.name === "PostgresError";
}
