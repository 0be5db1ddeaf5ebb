import { setTimeout as sleep } from "node:timers/promises";
import { Webhook as Signer } from "standardwebhooks";
import type { StoredEvent } from "../events/types.js";
import type { Clock } from "../ports.js";
import { retryDelayMs } from "./backoff.js";
import type { AttemptResult, DispatchStore, DueDelivery, WebhookSender } from "./dispatch-ports.js";

/** Idle poll of the dispatch loop: retries fall due without a notification. */
export const DISPATCH_POLL_MS = 1000;
/**
 * Least time from the start of one pass to the start of the next when woken by committed events:
 * a burst of commits (one notification each) is fanned out by one pass per interval instead of one
 * pass (two transactions) per commit. Bounds the delay a notification adds to a delivery.
 */
export const DISPATCH_MIN_GAP_MS = 100;
/** A claim lasts the attempt timeout plus this, so a live attempt is never taken twice. */
const LEASE_MARGIN_MS = 5000;

export interface DispatcherDeps {
  store: DispatchStore;
  sender: WebhookSender;
  /** The webhook body of an event (proto3 JSON of vellum.v1.Event). */
  render(event: StoredEvent): string;
  /** Wake-ups when events commit in any store (a subscription to every store). */
  wakeup: { wait(timeoutMs: number, signal: AbortSignal): Promise<boolean>; close(): void };
  clock: Clock;
  concurrency: number;
  timeoutMs: number;
  retryBaseMs: number;
  maxAttempts: number;
  log: { warn(msg: string, fields?: Record<string, unknown>): void };
}

/**
 * Standard Webhooks headers for one attempt: webhook-id is the event's id (the same on retries and
 * redeliveries, for receivers' deduplication); one "v1,<sig>" per secret, space-separated.
 */
export function signedHeaders(msgId: string, body: string, secrets: readonly string[], at: Date): Record<string, string> {
  return {
    "content-type": "application/json",
    "user-agent": "vellum-webhooks/1",
    "webhook-id": msgId,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": secrets.map((s) => new Signer(s).sign(msgId, at, body)).join(" "),
  };
}

/**
 * The webhook dispatcher of one process: fans new events out into deliveries, claims due ones and
 * sends at most `concurrency` at once, each bounded by `timeoutMs`. 2xx succeeds; 410 fails the
 * delivery and deactivates the webhook; anything else (no response included) is retried after
 * `retryDelayMs` until `maxAttempts`. Several processes may run one each (claims skip each
 * other's rows). Delivery is at least once: a crash mid-attempt repeats the attempt after its lease.
 */
export function createDispatcher(deps: DispatcherDeps) {
  const stop = new AbortController();
  const inFlight = new Set<Promise<void>>();
  let poke: (() => void) | undefined;

  async function attempt(due: DueDelivery): Promise<void> {
    const { delivery, event } = due;
    const now = deps.clock.now();
    if (!event) {
      await deps.store.complete(delivery.id, { responseCode: 0, latencyMs: 0, error: "event pruned before delivery" }, { status: "FAILED", nextAttemptTime: now }, now);
      return;
    }
    const body = deps.render(event);
    const result: AttemptResult = await deps.sender.send({ url: due.url, headers: signedHeaders(event.id, body, due.secrets, now), body, timeoutMs: deps.timeoutMs });
    const done = deps.clock.now();
    const attempts = delivery.attempts + 1;
    const code = result.responseCode;
    if (code >= 200 && code < 300) {
      await deps.store.complete(delivery.id, result, { status: "SUCCEEDED", nextAttemptTime: done }, done);
    } else if (code === 410) {
      await deps.store.complete(delivery.id, result, { status: "FAILED", nextAttemptTime: done }, done, "receiver answered 410 Gone");
    } else if (attempts >= deps.maxAttempts) {
      await deps.store.complete(delivery.id, result, { status: "FAILED", nextAttemptTime: done }, done);
    } else {
      const next = new Date(done.getTime() + retryDelayMs(attempts, deps.retryBaseMs));
      await deps.store.complete(delivery.id, result, { status: "PENDING", nextAttemptTime: next }, done);
    }
  }

  async function loop(): Promise<void> {
    while (!stop.signal.aborted) {
      const passStart = performance.now();
      try {
        while ((await deps.store.fanOut(deps.clock.now())).more && !stop.signal.aborted);
        const free = deps.concurrency - inFlight.size;
        const due = await deps.store.claimDue(free, deps.timeoutMs + LEASE_MARGIN_MS, deps.clock.now());
        for (const d of due) {
          const p: Promise<void> = attempt(d)
            .catch((err: unknown) => deps.log.warn("webhook attempt not recorded", { deliveryId: d.delivery.id, error: err instanceof Error ? err.message : String(err) }))
            .finally(() => {
              inFlight.delete(p);
              poke?.();
            });
          inFlight.add(p);
        }
        if (due.length > 0 && due.length === free) continue;
      } catch (err) {
        deps.log.warn("webhook dispatch pass failed", { error: err instanceof Error ? err.message : String(err) });
      }
      const slot = new AbortController();
      poke = () => slot.abort();
      const notified = await deps.wakeup.wait(DISPATCH_POLL_MS, AbortSignal.any([stop.signal, slot.signal]));
      poke = undefined;
      const gap = DISPATCH_MIN_GAP_MS - (performance.now() - passStart);
      if (notified && gap > 0) await sleep(gap, undefined, { signal: stop.signal }).catch(() => undefined);
    }
  }

  let running: Promise<void> | undefined;
  return {
    start() {
      running ??= loop();
    },
    /** Stops claiming; waits up to `graceMs` for attempts in flight (their leases cover the rest). */
    async stop(graceMs: number) {
      stop.abort();
      deps.wakeup.close();
      await running;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(inFlight), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
    },
  };
}
