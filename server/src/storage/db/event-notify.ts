import type postgres from "postgres";
import { EVERY_STORE, type EventWakeups } from "../../domain/events/ports.js";
import { EVENT_CHANNEL } from "./event-repo.js";

/**
 * EventWakeups over LISTEN/NOTIFY on EVENT_CHANNEL: one LISTEN per process (started with the first
 * subscriber; postgres.js re-listens after its connection drops), fanned out to the subscribers of
 * the notified store. Every (re)listen wakes every subscriber, since notifications sent while the
 * channel was down are lost. Writers in any process notify, so watchers see every process's events.
 */
export function createPgEventWakeups(sql: postgres.Sql): EventWakeups & { close(): Promise<void> } {
  type Sub = { pending: boolean; wake?: () => void };
  const byStore = new Map<string, Set<Sub>>();
  const poke = (s: Sub) => {
    s.pending = true;
    s.wake?.();
  };
  let listening: Promise<{ unlisten(): Promise<void> }> | undefined;
  const ensureListening = () =>
    (listening ??= sql.listen(
      EVENT_CHANNEL,
      (storeId) => {
        byStore.get(storeId)?.forEach(poke);
        byStore.get(EVERY_STORE)?.forEach(poke);
      },
      () => byStore.forEach((subs) => subs.forEach(poke)),
    ));

  return {
    subscribe(storeId) {
      const sub: Sub = { pending: false };
      const subs = byStore.get(storeId) ?? new Set<Sub>();
      byStore.set(storeId, subs.add(sub));
      // A failed LISTEN leaves the waiter on its timeout (the caller's heartbeat re-reads).
      ensureListening().catch(() => (listening = undefined));
      return {
        wait(timeoutMs, signal) {
          if (sub.pending || signal.aborted) {
            const woke = sub.pending;
            sub.pending = false;
            return Promise.resolve(woke);
          }
          return new Promise<boolean>((resolve) => {
            const done = () => {
              clearTimeout(timer);
              signal.removeEventListener("abort", done);
              sub.wake = undefined;
              const woke = sub.pending;
              sub.pending = false;
              resolve(woke);
            };
            const timer = setTimeout(done, timeoutMs);
            signal.addEventListener("abort", done, { once: true });
            sub.wake = done;
          });
        },
        close() {
          subs.delete(sub);
          if (subs.size === 0) byStore.delete(storeId);
        },
      };
    },
    async close() {
      const l = await listening?.catch(() => undefined);
      await l?.unlisten().catch(() => undefined);
    },
  };
}
