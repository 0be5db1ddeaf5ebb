import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { gatePool, type PoolUsage } from "./pool-gate.js";
import * as schema from "./schema/index.js";

export type Db = PostgresJsDatabase<typeof schema>;

export interface Database {
  db: Db;
  /** The pool itself, ungated: for LISTEN (which runs on a dedicated connection of its own). */
  sql: postgres.Sql;
  /** Slots of the gated pool in use and waited for (pool-gate.ts). */
  pool: PoolUsage;
  close(): Promise<void>;
}

/** Default bound on opening one connection (TCP, TLS and startup) to PostgreSQL. */
export const DB_CONNECT_TIMEOUT_MS = 5_000;
/** Default bound on waiting for a free pool connection before a request answers UNAVAILABLE. */
export const DB_ACQUIRE_TIMEOUT_MS = 10_000;
/** Longest pause between reconnect attempts while PostgreSQL is away. */
export const DB_RECONNECT_MAX_DELAY_MS = 1_000;
/** Pause before the first reconnect attempt; it doubles per failed attempt up to the maximum. */
const DB_RECONNECT_FIRST_DELAY_MS = 50;

/**
 * postgres.js `backoff` (in seconds) for the `attempt`-th failed connection attempt in a row (the
 * count is shared by the pool and reset by the first successful one): 50 ms doubling up to
 * DB_RECONNECT_MAX_DELAY_MS, with jitter (50-100 % of it) so a pool does not reconnect in lockstep.
 * postgres.js's own default grows to 20 s, and queries queued meanwhile wait that long after
 * PostgreSQL is back (e.g. after a restart).
 */
export function reconnectDelaySeconds(attempt: number): number {
  const ms = Math.min(DB_RECONNECT_FIRST_DELAY_MS * 2 ** Math.max(0, attempt - 1), DB_RECONNECT_MAX_DELAY_MS);
  return (ms * (0.5 + Math.random() / 2)) / 1000;
}

/**
 * postgres.js options every pool of the server uses: bounded connection set-up and bounded
 * reconnect pauses (LISTEN connections inherit them from the pool they belong to).
 */
export function connectionOptions(connectTimeoutMs = DB_CONNECT_TIMEOUT_MS): Pick<postgres.Options<{}>, "connect_timeout" | "backoff" | "onnotice"> {
  return { connect_timeout: connectTimeoutMs / 1000, backoff: reconnectDelaySeconds, onnotice: () => {} };
}

export interface OpenDatabaseOptions {
  /** Pool size; default 10. */
  max?: number;
  /** Server-side bound on every statement; default 60 s. */
  statementTimeoutMs?: number;
  /** Bound on opening one connection; default DB_CONNECT_TIMEOUT_MS. */
  connectTimeoutMs?: number;
  /** Bound on waiting for a free connection (PoolAcquireTimeoutError); default DB_ACQUIRE_TIMEOUT_MS. */
  acquireTimeoutMs?: number;
  /** Hears every pooled connection that closes (e.g. to probe the database at once when PostgreSQL restarts). */
  onConnectionClosed?: () => void;
}

/**
 * Opens a postgres.js pool wrapped by drizzle. Every wait is bounded: `statement_timeout` bounds a
 * statement, `connectTimeoutMs` the opening of a connection, reconnect pauses stay under
 * DB_RECONNECT_MAX_DELAY_MS, and the pool gate (pool-gate.ts) bounds the wait for a connection, so
 * a request fails with an unavailable error (UNAVAILABLE) instead of hanging while PostgreSQL is
 * away, and runs again as soon as it is back.
 */
export function openDatabase(url: string, opts: OpenDatabaseOptions = {}): Database {
  const max = opts.max ?? 10;
  const sql = postgres(url, {
    ...connectionOptions(opts.connectTimeoutMs),
    max,
    onclose: () => opts.onConnectionClosed?.(),
    connection: { statement_timeout: opts.statementTimeoutMs ?? 60_000, application_name: "vellum" },
  });
  const { usage, ...client } = gatePool(sql, { permits: max, acquireTimeoutMs: opts.acquireTimeoutMs ?? DB_ACQUIRE_TIMEOUT_MS });
  const db = drizzle({ client: client as postgres.Sql, schema });
  return { db, sql, pool: usage, close: () => sql.end({ timeout: 5 }) };
}
