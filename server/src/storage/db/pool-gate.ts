import { Semaphore, withTimeout } from "async-mutex";
import type postgres from "postgres";

/**
 * The error of a database operation that waited `waitedMs` for a pool slot without getting one
 * (every connection busy, or being re-established after PostgreSQL went away). `code` is
 * POOL_ACQUIRE_TIMEOUT; `isDatabaseUnavailable` recognises it, so the request answers UNAVAILABLE.
 * The operation never ran.
 */
export class PoolAcquireTimeoutError extends Error {
  override readonly name = "PoolAcquireTimeoutError";
  readonly code = "POOL_ACQUIRE_TIMEOUT";
  constructor(readonly waitedMs: number) {
    super(`no database connection became free within ${waitedMs} ms`);
  }
}

/** What drizzle's postgres-js driver uses of a postgres.js `Sql`. */
export type GatedSql = Pick<postgres.Sql, "options" | "unsafe" | "begin">;

/** A live view of a gated pool's slots (read at scrape time by the metrics route). */
export interface PoolUsage {
  /** Slots in the pool (its connection count). */
  readonly size: number;
  /** Operations holding a slot now: at most `size`. */
  inUse(): number;
  /** Operations waiting for a slot now (each waits at most the acquire timeout). */
  waiting(): number;
}

/**
 * Wraps a postgres.js pool of `permits` connections so that at most `permits` operations (a query
 * or a whole transaction) are inside it at once, and an operation that cannot get a slot within
 * `acquireTimeoutMs` fails with PoolAcquireTimeoutError without running.
 *
 * postgres.js itself queues an operation without any bound while no connection is free, including
 * while it re-establishes connections after PostgreSQL went away; with the gate every operation
 * that enters the pool finds a connection of its own (open, reconnecting, or busy with a statement
 * that statement_timeout bounds), so the wait inside is bounded by connect_timeout and the
 * reconnect backoff, and the wait outside by `acquireTimeoutMs`.
 *
 * Only what drizzle calls is gated: `unsafe` (awaited directly or through `.values()`) and `begin`.
 * Queries inside a transaction use the transaction's own connection and are not gated again.
 */
export function gatePool(
  sql: postgres.Sql,
  opts: { permits: number; acquireTimeoutMs: number },
): GatedSql & { usage: PoolUsage } {
  const timedOut = new Error("pool acquire timeout");
  const slots = withTimeout(new Semaphore(opts.permits), opts.acquireTimeoutMs, timedOut);
  let inUse = 0;
  let waiting = 0;
  const gated = async <T>(run: () => Promise<T>): Promise<T> => {
    waiting++;
    const [, release] = await slots
      .acquire()
      .catch((err: unknown) => {
        throw err === timedOut ? new PoolAcquireTimeoutError(opts.acquireTimeoutMs) : err;
      })
      .finally(() => waiting--);
    inUse++;
    try {
      return await run();
    } finally {
      inUse--;
      release();
    }
  };
  const unsafe = ((query: string, params?: unknown[], options?: postgres.UnsafeQueryOptions) => {
    let values = false;
    let result: Promise<unknown> | undefined;
    const start = () =>
      (result ??= gated(() => {
        const q = sql.unsafe(query, params as postgres.ParameterOrJSON<never>[], options);
        return values ? q.values() : q;
      }));
    const pending = {
      values() {
        values = true;
        return pending;
      },
      then<A, B>(onOk?: (v: unknown) => A | PromiseLike<A>, onErr?: (e: unknown) => B | PromiseLike<B>) {
        return start().then(onOk, onErr);
      },
      catch<B>(onErr?: (e: unknown) => B | PromiseLike<B>) {
        return start().catch(onErr);
      },
      finally(fn?: () => void) {
        return start().finally(fn);
      },
    };
    return pending;
  }) as unknown as postgres.Sql["unsafe"];
  const begin = ((...args: Parameters<postgres.Sql["begin"]>) =>
    gated(() => (sql.begin as (...a: unknown[]) => Promise<unknown>)(...args))) as postgres.Sql["begin"];
  const usage: PoolUsage = { size: opts.permits, inUse: () => inUse, waiting: () => waiting };
  return { options: sql.options, unsafe, begin, usage };
}
