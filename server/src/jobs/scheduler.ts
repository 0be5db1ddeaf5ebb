import type { Clock } from "../domain/ports.js";
import type { Job, JobKindLookup } from "../domain/jobs/types.js";
import type { Logger } from "../lib/logger.js";
import type { ScheduleStore } from "./queue.js";

/**
 * Longest sleep between scheduler wake-ups: how soon entries from a source (policies read from
 * the database) are seen, and how soon a process notices a slot it slept through.
 */
export const SCHEDULER_MAX_SLEEP_MS = 60_000;

/** When a recurring job is due. Slots depend only on the time, so every process computes the same ones. */
export interface Schedule {
  /** The latest slot at or before `now`. */
  latest(now: Date): Date;
  /** The first slot after `now`. */
  next(now: Date): Date;
  readonly description: string;
}

/** Every `ms` milliseconds, on slots aligned to the Unix epoch. */
export function every(ms: number): Schedule {
  if (!Number.isInteger(ms) || ms < 1000) throw new Error(`schedule interval must be a whole number of ms >= 1000, got ${ms}`);
  return {
    latest: (now) => new Date(Math.floor(now.getTime() / ms) * ms),
    next: (now) => new Date((Math.floor(now.getTime() / ms) + 1) * ms),
    description: `every ${ms} ms`,
  };
}

/** A recurring system job. */
export interface ScheduledJob {
  /** Unique and stable across releases: a tick is the pair (name, slot), enqueued once. */
  name: string;
  schedule: Schedule;
  /** A registered kind of scope "system". */
  type: string;
  params?: Record<string, unknown>;
  /** 1..9; default 5. */
  priority?: number;
  /**
   * Held while a tick's job is QUEUED or RUNNING; a tick that finds it held is skipped, so runs of
   * one schedule never overlap. Default: `schedule:<name>`; null lets ticks overlap.
   */
  dedupeKey?: string | null;
}

export interface JobSchedulerDeps {
  store: ScheduleStore;
  kinds: JobKindLookup;
  clock: Clock;
  newId: () => string;
  log: Logger;
  /** Default SCHEDULER_MAX_SLEEP_MS. */
  maxSleepMs?: number;
}

/**
 * Enqueues recurring system jobs. Each process runs one; they agree through the database
 * (ScheduleStore.fire): one job per (schedule, slot) whichever process is first, a new schedule
 * first fires at its next slot, and after downtime only the latest missed slot fires (caught up
 * once, not once per missed slot). State lives in PostgreSQL, so restarts change nothing.
 */
export function createJobScheduler(deps: JobSchedulerDeps) {
  const entries = new Map<string, ScheduledJob>();
  const sources: Array<() => Promise<ScheduledJob[]>> = [];
  const ensured = new Set<string>();
  /** The latest slot known to be taken per schedule (saves a round trip per entry per wake-up). */
  const taken = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let ticking: Promise<unknown> | undefined;

  async function current(): Promise<ScheduledJob[]> {
    const dynamic = await Promise.all(
      sources.map((s) =>
        s().catch((err) => {
          deps.log.error("schedule source failed", { err });
          return [];
        }),
      ),
    );
    return [...entries.values(), ...dynamic.flat()];
  }

  async function fire(entry: ScheduledJob, now: Date): Promise<Job | undefined> {
    const kind = deps.kinds.info(entry.type);
    if (!kind || kind.scope !== "system") {
      deps.log.error("scheduled job kind is not a registered system kind", { schedule: entry.name, type: entry.type });
      return undefined;
    }
    if (!ensured.has(entry.name)) {
      await deps.store.ensure(entry.name, entry.schedule.latest(now));
      ensured.add(entry.name);
    }
    const slot = entry.schedule.latest(now);
    if ((taken.get(entry.name) ?? -Infinity) >= slot.getTime()) return undefined;
    const job = await deps.store.fire(entry.name, slot, {
      id: deps.newId(),
      type: entry.type,
      priority: entry.priority ?? 5,
      params: kind.parseParams(entry.params ?? {}),
      createdBy: `schedule:${entry.name}`,
      createTime: now,
      maxAttempts: kind.maxAttempts,
      dedupeKey: entry.dedupeKey === null ? undefined : (entry.dedupeKey ?? `schedule:${entry.name}`),
    });
    taken.set(entry.name, slot.getTime());
    if (job) deps.log.info("scheduled job enqueued", { schedule: entry.name, slot: slot.toISOString(), jobId: job.id });
    return job;
  }

  /** Fires every due entry; returns the jobs this call enqueued, and when the next slot is. */
  async function tick(now = deps.clock.now()): Promise<{ enqueued: Job[]; nextAt?: Date }> {
    const enqueued: Job[] = [];
    let nextAt: Date | undefined;
    for (const entry of await current()) {
      try {
        const job = await fire(entry, now);
        if (job) enqueued.push(job);
      } catch (err) {
        deps.log.error("scheduled job could not be enqueued", { err, schedule: entry.name });
      }
      const n = entry.schedule.next(now);
      if (!nextAt || n < nextAt) nextAt = n;
    }
    return { enqueued, nextAt };
  }

  function arm(nextAt: Date | undefined): void {
    if (!running) return;
    const maxSleep = deps.maxSleepMs ?? SCHEDULER_MAX_SLEEP_MS;
    const delay = nextAt ? Math.min(maxSleep, Math.max(0, nextAt.getTime() - deps.clock.now().getTime())) : maxSleep;
    timer = setTimeout(run, delay);
    timer.unref();
  }

  function run(): void {
    const t = tick()
      .then((r) => arm(r.nextAt))
      .catch((err) => {
        deps.log.error("scheduler tick failed", { err });
        arm(undefined);
      });
    ticking = t.finally(() => (ticking = undefined));
  }

  return {
    /** Adds recurring jobs (names must be unique). Takes effect at the next wake-up. */
    register(...list: ScheduledJob[]): void {
      for (const e of list) {
        if (entries.has(e.name)) throw new Error(`schedule ${e.name} is registered twice`);
        entries.set(e.name, e);
      }
    },
    /**
     * Adds a source of entries read at every wake-up, for schedules that live in data (policies):
     * its entries need the same unique, stable names.
     */
    addSource(source: () => Promise<ScheduledJob[]>): void {
      sources.push(source);
    },
    tick,
    start(): void {
      if (running) return;
      running = true;
      run();
    },
    async stop(): Promise<void> {
      running = false;
      clearTimeout(timer);
      await ticking;
    },
  };
}

export type JobScheduler = ReturnType<typeof createJobScheduler>;
