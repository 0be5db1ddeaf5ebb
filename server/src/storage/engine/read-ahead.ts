/**
 * Read-ahead paced by the consumer and counted against the buffer budget, for ordered reads
 * (ChunkReader.readInOrder). A download must not buffer more than its client takes: a client that
 * stops reading (an HTTP/2 peer that sends no WINDOW_UPDATE) stops its download's generator at a
 * `yield`, and from then on nothing more is fetched for it.
 *
 * - At most `concurrency` groups are fetched at once, and the bytes fetched but not yet consumed
 *   stay within an allowance that starts at `minAheadBytes` and grows with what the consumer has
 *   consumed, up to `maxAheadBytes` (a slow start). So a stalled or slow consumer holds about
 *   `minAheadBytes`, and a fast one reads ahead fully.
 * - Every group's bytes are granted by the budget until the consumer moves past it. The group the
 *   consumer waits for is always fetched (`take`: a read never waits on memory that uploads are
 *   queued for); any further read-ahead only when the budget has room (`tryAcquire`).
 * - A consumer that takes nothing for `shedAfterMs` gives its read-ahead back: the groups fetched
 *   beyond the one it is consuming are dropped (`drop` frees their buffers) and their grants
 *   released, and the allowance starts small again; they are fetched anew when the consumer
 *   resumes. So a client that read fast and then stalls holds only the group it was sent, and a
 *   slow one settles at about what it consumes in `shedAfterMs`.
 * - When the signal aborts, every grant is released at once, even if the generator is never
 *   resumed; when the generator is closed, results fetched and never handed out are dropped.
 */
import type { BudgetGrant, BufferBudget } from "../../lib/buffer-budget.js";

export interface ReadAheadOptions<G, R> {
  concurrency: number;
  minAheadBytes: number;
  maxAheadBytes: number;
  budget: BufferBudget;
  /** Budget bytes that fetching `g` holds until it is consumed. */
  cost(g: G): number;
  fetch(g: G): Promise<R>;
  /** Frees what a fetched result holds; it was never handed to the consumer. */
  drop(r: R): void;
  /** How long the consumer may take nothing before the read-ahead is given back. */
  shedAfterMs: number;
  signal?: AbortSignal;
}

/**
 * Fetches groups with read-ahead and yields the results in order. `makeGroups` receives `room()`,
 * the bytes a group formed now should stay within, and returns the groups lazily (a group is
 * formed when the read-ahead asks for it).
 */
export async function* readAhead<G, R>(makeGroups: (room: () => number) => AsyncIterator<G>, o: ReadAheadOptions<G, R>): AsyncGenerator<R> {
  let consumed = 0;
  let ahead = 0;
  const allowance = () => Math.min(o.maxAheadBytes, Math.max(o.minAheadBytes, consumed));
  const groups = makeGroups(() => Math.max(o.minAheadBytes, allowance() - ahead));
  const queue: { g: G; bytes: number; grant: BudgetGrant; result: Promise<R> }[] = [];
  const live = new Set<BudgetGrant>();
  const releaseAll = () => {
    for (const g of live) g.release();
    live.clear();
  };
  o.signal?.addEventListener("abort", releaseAll, { once: true });
  const pending: G[] = []; // formed, not being fetched: shed groups first, in order
  let exhausted = false;

  /** Starts fetches while a slot, the allowance and the budget permit (the first one regardless). */
  async function launch(): Promise<void> {
    while (queue.length < o.concurrency) {
      o.signal?.throwIfAborted(); // never end early: an aborted read fails
      if (pending.length === 0) {
        if (exhausted) return;
        const step = await groups.next();
        if (step.done) {
          exhausted = true;
          return;
        }
        pending.push(step.value);
      }
      const g = pending[0];
      const bytes = o.cost(g);
      const grant = queue.length === 0 ? o.budget.take(bytes) : ahead + bytes <= allowance() ? o.budget.tryAcquire(bytes) : undefined;
      if (grant === undefined) return;
      pending.shift();
      live.add(grant);
      const result = o.fetch(g);
      result.catch(() => undefined); // awaited in turn; an abandoned one must not go unhandled
      queue.push({ g, bytes, grant, result });
      ahead += bytes;
    }
  }

  /** Gives back what was fetched beyond the group being consumed (see shedAfterMs). */
  function shed(): void {
    const shedding = queue.splice(0);
    pending.unshift(...shedding.map((s) => s.g));
    for (const s of shedding) {
      release(s.grant);
      ahead -= s.bytes;
      void s.result.then(o.drop, () => undefined);
    }
    consumed = 0;
  }

  const release = (grant: BudgetGrant) => {
    grant.release();
    live.delete(grant);
  };

  try {
    await launch();
    while (queue.length > 0) {
      o.signal?.throwIfAborted();
      const r = await queue[0].result;
      const head = queue.shift()!;
      const idle = setTimeout(shed, o.shedAfterMs);
      try {
        yield r;
      } finally {
        clearTimeout(idle);
        release(head.grant);
        ahead -= head.bytes;
      }
      consumed += head.bytes;
      await launch();
    }
  } finally {
    o.signal?.removeEventListener("abort", releaseAll);
    for (const s of queue.splice(0)) {
      release(s.grant);
      void s.result.then(o.drop, () => undefined);
    }
    releaseAll();
    if (!exhausted) await groups.return?.();
  }
}
