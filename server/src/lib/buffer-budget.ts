/**
 * The process-wide budget of bytes that ingest and download buffers may hold at once
 * (VELLUM_BUFFER_BUDGET_MB). Holders take grants of bytes and give them back when the buffers are
 * gone; the budget never allocates anything itself.
 *
 * - `acquire` waits, first come first served, until the bytes fit. Ingests use it before they
 *   read their source, so an upload beyond the budget waits by not reading its request stream
 *   (HTTP/2 flow control then holds the client back) instead of allocating.
 * - `tryAcquire` never waits and never overtakes a waiter: optional memory (a second pack being
 *   filled while the previous one is written, download read-ahead) is taken only when it fits.
 * - `take` grants at once, even past the limit. It is for the one buffer without which a reader
 *   cannot progress at all, so that a read never waits on uploads queued for memory; such buffers
 *   are small (download-read-ahead.ts) and count against the budget like any other.
 */
export interface BudgetGrant {
  readonly bytes: number;
  /** Gives the bytes back; calling it again does nothing. */
  release(): void;
}

export interface BufferBudget {
  readonly limitBytes: number;
  /** Bytes granted and not yet released (more than the limit only through `take`). */
  readonly usedBytes: number;
  /**
   * Waits until `bytes` fit, behind every earlier waiter. A request above the limit is cut to the
   * limit (it then waits for the whole budget). Rejects with the signal's reason if it aborts first.
   */
  acquire(bytes: number, signal?: AbortSignal): Promise<BudgetGrant>;
  /** A grant of `bytes` if they fit now and nobody is waiting, else undefined. */
  tryAcquire(bytes: number): BudgetGrant | undefined;
  /** A grant of `bytes` now, whatever is in use. */
  take(bytes: number): BudgetGrant;
}

interface Waiter {
  bytes: number;
  grant(): void;
}

export function createBufferBudget(limitBytes: number): BufferBudget {
  if (!(limitBytes > 0)) throw new RangeError("the buffer budget must be positive");
  let used = 0;
  const waiters: Waiter[] = [];

  const grant = (bytes: number): BudgetGrant => {
    used += bytes;
    let held = true;
    return {
      bytes,
      release() {
        if (!held) return;
        held = false;
        used -= bytes;
        admit();
      },
    };
  };

  /** Grants waiting requests in order while the first one fits. */
  function admit(): void {
    while (waiters.length && used + waiters[0].bytes <= limitBytes) waiters.shift()!.grant();
  }

  return {
    limitBytes,
    get usedBytes() {
      return used;
    },
    acquire(bytes, signal) {
      const want = Math.min(Math.max(0, bytes), limitBytes);
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (waiters.length === 0 && used + want <= limitBytes) return Promise.resolve(grant(want));
      return new Promise<BudgetGrant>((resolve, reject) => {
        const onAbort = () => {
          const at = waiters.indexOf(w);
          if (at >= 0) waiters.splice(at, 1);
          reject(signal!.reason);
          admit(); // the next waiter may fit now that this one has left the head
        };
        const w: Waiter = {
          bytes: want,
          grant() {
            signal?.removeEventListener("abort", onAbort);
            resolve(grant(want));
          },
        };
        waiters.push(w);
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    },
    tryAcquire(bytes) {
      const want = Math.max(0, bytes);
      return waiters.length === 0 && used + want <= limitBytes ? grant(want) : undefined;
    },
    take(bytes) {
      return grant(Math.max(0, bytes));
    },
  };
}
