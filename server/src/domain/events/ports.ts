import type { EventFilter, StoredEvent } from "./types.js";

/** One page of a store's events after a cursor. */
export interface EventPage {
  readonly events: StoredEvent[];
  /**
   * Where the next read starts: the last returned event's seq when the page is full, otherwise the
   * newest seq the read could see (filtered-out and non-event changes included). Nothing at or
   * below it can appear later, because a store's seqs commit in order.
   */
  readonly next: number;
}

/** Read side of the event outbox. */
export interface EventReader {
  /** Events of `storeId` with seq > `after` matching `filter`, oldest first, at most `limit`. */
  listAfter(storeId: string, after: number, limit: number, filter: EventFilter): Promise<EventPage>;
  /** The newest seq written in the store so far (0 before any change): "now" for a new watcher. */
  head(storeId: string): Promise<number>;
  /** One event by seq, or undefined when it does not exist or was pruned. */
  get(storeId: string, seq: number): Promise<StoredEvent | undefined>;
  /** Deletes events older than `before`; returns how many. */
  pruneBefore(before: Date): Promise<number>;
}

/** Subscribing to this store id wakes on commits in every store (the webhook dispatcher). */
export const EVERY_STORE = "*";

/**
 * Wake-ups for watchers of a store: `subscribe` registers interest, `wait` resolves true as soon
 * as something was committed in the store since the previous `wait` returned (or since
 * `subscribe`), false after `timeoutMs` or when `signal` aborts.
 */
export interface EventWakeups {
  subscribe(storeId: string): { wait(timeoutMs: number, signal: AbortSignal): Promise<boolean>; close(): void };
}
