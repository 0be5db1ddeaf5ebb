import { invalidField, resourceExhausted } from "../errors.js";
import { pageSizeOf } from "../paging.js";
import type { EventReader, EventWakeups } from "./ports.js";
import { filterFields, parseEventFilter, type StoredEvent } from "./types.js";

/** Events read per query while a watcher catches up. */
const WATCH_BATCH = 200;

export interface EventUseCaseDeps {
  events: EventReader;
  wakeups: EventWakeups;
  /** Idle time after which a watcher gets a heartbeat (VELLUM_EVENT_HEARTBEAT_MS). */
  heartbeatMs: number;
  /** Open WatchEvents streams per (store, caller) in this process (VELLUM_EVENT_MAX_WATCHERS). */
  maxWatchers: number;
}

export interface RawEventFilter {
  types?: readonly string[];
  resourceType?: string;
  tags?: readonly string[];
}

/** What a watcher receives: an event, or a heartbeat; `cursor` is where to resume after it. */
export type WatchItem = { event: StoredEvent; cursor: number } | { event?: undefined; heartbeat: true; cursor: number };

const cursorOf = (after: bigint | number, field: string): number => {
  const n = Number(after);
  if (n < 0 || !Number.isSafeInteger(n)) throw invalidField(field, "must be a non-negative event id");
  return n;
};

export function createEventUseCases(deps: EventUseCaseDeps) {
  const open = new Map<string, number>();
  const closing = new AbortController();
  return {
    /**
     * Ends every open WatchEvents stream normally (and any opened later at once): on shutdown, so
     * the drain need not wait for endless streams; clients resume from their cursor elsewhere.
     */
    closeStreams(): void {
      closing.abort();
    },

    /** One page after `after` (see ListEvents). */
    async list(req: { storeId: string; afterEventId: bigint | number; pageSize: number; filter?: RawEventFilter }) {
      const after = cursorOf(req.afterEventId, "after_event_id");
      const filter = parseEventFilter(req.filter, filterFields("filter"));
      return deps.events.listAfter(req.storeId, after, pageSizeOf(req.pageSize), filter);
    },

    /**
     * The store's events after the cursor, then new ones as they commit, with a heartbeat after
     * every `heartbeatMs` without one (and one first, carrying the starting cursor); ends when `signal` aborts. Validation and the watcher bound
     * are checked when the first item is asked for (RESOURCE_EXHAUSTED past `maxWatchers` for `callerKey`).
     */
    watch(req: { storeId: string; afterEventId: bigint | number; fromStart: boolean; filter?: RawEventFilter }, callerKey: string, callSignal: AbortSignal): AsyncGenerator<WatchItem> {
      const signal = AbortSignal.any([callSignal, closing.signal]);
      const after = cursorOf(req.afterEventId, "after_event_id");
      const filter = parseEventFilter(req.filter, filterFields("filter"));
      const key = `${req.storeId}\u0000${callerKey}`;
      return (async function* () {
        const count = open.get(key) ?? 0;
        if (count >= deps.maxWatchers) {
          throw resourceExhausted(`at most ${deps.maxWatchers} event streams per caller and store may be open at once`, 1000, "TOO_MANY_WATCHERS");
        }
        open.set(key, count + 1);
        const sub = deps.wakeups.subscribe(req.storeId);
        try {
          // Subscribed before the first read: a commit after it wakes the first wait.
          let cursor = after > 0 || req.fromStart ? after : await deps.events.head(req.storeId);
          // The first item says the stream is live and where it starts.
          yield { heartbeat: true as const, cursor };
          while (!signal.aborted) {
            const page = await deps.events.listAfter(req.storeId, cursor, WATCH_BATCH, filter);
            for (const event of page.events) yield { event, cursor: event.seq };
            cursor = page.next;
            if (page.events.length === WATCH_BATCH) continue;
            const woke = await sub.wait(deps.heartbeatMs, signal);
            if (!woke && !signal.aborted) yield { heartbeat: true as const, cursor };
          }
        } finally {
          sub.close();
          const n = (open.get(key) ?? 1) - 1;
          if (n === 0) open.delete(key);
          else open.set(key, n);
        }
      })();
    },
  };
}

export type EventUseCases = ReturnType<typeof createEventUseCases>;
