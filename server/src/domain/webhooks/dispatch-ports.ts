import type { StoredEvent } from "../events/types.js";
import type { Delivery, DeliveryStatus } from "./types.js";

/** A claimed delivery with what sending it needs. */
export interface DueDelivery {
  readonly delivery: Delivery;
  readonly url: string;
  /** Secrets that sign it: the current one, then the previous one while its grace period lasts. */
  readonly secrets: readonly string[];
  /** Undefined when the event was pruned before delivery. */
  readonly event: StoredEvent | undefined;
}

/** The outcome of one attempt, as recorded. */
export interface AttemptResult {
  /** HTTP status; 0 when no response arrived. */
  readonly responseCode: number;
  readonly latencyMs: number;
  /** Why it failed; "" when a response arrived. */
  readonly error: string;
}

/** The dispatcher's storage (storage/db/webhook-dispatch-repo.ts). */
export interface DispatchStore {
  /**
   * Turns events committed since each webhook's cursor into PENDING deliveries (those matching its
   * filters; none while it is inactive) and advances the cursors; webhooks another process is
   * fanning out are skipped. Works through a bounded batch of webhooks; `more` says another pass
   * may find webhooks still behind.
   */
  fanOut(now: Date): Promise<{ deliveries: number; more: boolean }>;
  /**
   * Claims up to `limit` due PENDING deliveries of active webhooks, pushing their next attempt time
   * `leaseMs` ahead so no other dispatcher takes them; one that is never completed (a crash) becomes
   * due again then.
   */
  claimDue(limit: number, leaseMs: number, now: Date): Promise<DueDelivery[]>;
  /** Records an attempt: attempts + 1, its result, the new status and next attempt time; `disable` deactivates the webhook. */
  complete(deliveryId: string, result: AttemptResult, next: { status: DeliveryStatus; nextAttemptTime: Date }, now: Date, disable?: string): Promise<void>;
}

/** One HTTP POST to a receiver (outbound/webhook-sender.ts). Never throws: failures are results. */
export interface WebhookSender {
  send(req: { url: string; headers: Record<string, string>; body: string; timeoutMs: number }): Promise<AttemptResult>;
}
