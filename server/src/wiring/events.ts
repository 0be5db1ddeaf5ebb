import type { Config } from "../config.js";
import { createEventUseCases, type EventUseCases } from "../domain/events/event-use-cases.js";
import type { EventReader, EventWakeups } from "../domain/events/ports.js";
import type { Logger } from "../lib/logger.js";
import { createPgEventWakeups } from "../storage/db/event-notify.js";
import { createEventReader } from "../storage/db/event-repo.js";
import type { DatabaseUseCases } from "./database.js";
import type { Wired } from "./module.js";

/** How often this process prunes events past VELLUM_EVENT_RETENTION (idempotent across processes). */
const PRUNE_INTERVAL_MS = 10 * 60_000;

export interface EventsUseCases {
  events: EventUseCases;
  /** The outbox reader. */
  eventReader: EventReader;
  /** Commit wake-ups (LISTEN/NOTIFY), shared with the webhook dispatcher. */
  wakeups: EventWakeups;
}

/**
 * The event outbox's read side: WatchEvents/ListEvents use-cases over LISTEN/NOTIFY wake-ups, and
 * a timer pruning events older than VELLUM_EVENT_RETENTION. Events are written by the audit append
 * (storage/db/audit-repo.ts), not here.
 */
export function wireEvents(config: Pick<Config, "events">, log: Logger, deps: DatabaseUseCases): Wired<EventsUseCases> {
  const { db, sql } = deps.database;
  const eventReader = createEventReader(db);
  const wakeups = createPgEventWakeups(sql);
  const events = createEventUseCases({ events: eventReader, wakeups, heartbeatMs: config.events.heartbeatMs, maxWatchers: config.events.maxWatchers });
  const pruneLog = log.child({ component: "events" });
  const prune = () =>
    eventReader.pruneBefore(new Date(Date.now() - config.events.retentionMs)).then(
      (n) => n > 0 && pruneLog.info("pruned events past retention", { events: n }),
      (err: unknown) => pruneLog.warn("event pruning failed", { error: err instanceof Error ? err.message : String(err) }),
    );
  const timer = setInterval(prune, PRUNE_INTERVAL_MS);
  timer.unref();
  return {
    useCases: { events, eventReader, wakeups },
    jobKinds: [],
    async close() {
      clearInterval(timer);
      await wakeups.close();
    },
  };
}
