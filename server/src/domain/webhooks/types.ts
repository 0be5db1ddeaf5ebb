import type { AuditContext } from "../audit/audit-context.js";

/** A webhook as the API shows it: never its secrets. */
export interface Webhook {
  readonly id: string;
  readonly storeId: string;
  readonly url: string;
  /** Event types (exact or "prefix.*"); empty: all. */
  readonly events: readonly string[];
  readonly resourceType: string;
  readonly tags: readonly string[];
  readonly active: boolean;
  readonly description: string;
  /** Why the server deactivated it; "" otherwise. */
  readonly disabledReason: string;
  readonly createTime: Date;
  readonly updateTime: Date;
  /** Until when the previous secret still signs; undefined when none. */
  readonly previousSecretExpireTime?: Date;
}

/** The fields a caller sets on create and update. */
export type WebhookSettings = Pick<Webhook, "url" | "events" | "resourceType" | "tags" | "active" | "description">;

export type DeliveryStatus = "PENDING" | "SUCCEEDED" | "FAILED";

/** One event to one webhook and the outcome of its latest attempt. */
export interface Delivery {
  readonly id: string;
  readonly webhookId: string;
  readonly storeId: string;
  readonly eventSeq: number;
  readonly eventType: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  /** HTTP status of the latest attempt; 0 without a response. */
  readonly responseCode: number;
  readonly latencyMs: number;
  readonly lastError: string;
  readonly nextAttemptTime: Date;
  readonly createTime: Date;
  readonly updateTime: Date;
  readonly redeliveryOf: string | null;
}

type Cursor = { createTime: Date; id: string };

/**
 * Webhook storage. Every mutation is audited (resource type "webhook"; the audited state never
 * holds a secret) in the transaction of the change; a missing webhook of the store is undefined.
 */
export interface WebhookRepository {
  /**
   * Inserts the webhook with its delivery cursor at the store's newest change, so it receives the
   * events committed after it. Fails with RESOURCE_EXHAUSTED when the store has `maxPerStore`.
   */
  create(w: Webhook, secret: string, maxPerStore: number, audit: AuditContext): Promise<Webhook>;
  get(storeId: string, id: string): Promise<Webhook | undefined>;
  /** Newest first, after `after`. */
  list(storeId: string, limit: number, after?: Cursor): Promise<Webhook[]>;
  /**
   * Applies `patch` (and clears disabled_reason when it activates). Deactivating fails the
   * webhook's PENDING deliveries.
   */
  update(storeId: string, id: string, patch: Partial<WebhookSettings>, now: Date, audit: AuditContext): Promise<Webhook | undefined>;
  /** Deletes the webhook and its deliveries; false when there was none. */
  delete(storeId: string, id: string, audit: AuditContext): Promise<boolean>;
  /** Replaces the secret; the old one keeps signing until `previousUntil` (undefined: drop it now). */
  rotate(storeId: string, id: string, secret: string, previousUntil: Date | undefined, now: Date, audit: AuditContext): Promise<Webhook | undefined>;
  listDeliveries(storeId: string, webhookId: string, status: DeliveryStatus | undefined, limit: number, after?: Cursor): Promise<Delivery[]>;
  /**
   * A new PENDING delivery of the event of `deliveryId`, due now. NOT_FOUND (as undefined) when the
   * delivery is not the webhook's; "event-pruned" when its event is gone.
   */
  redeliver(storeId: string, webhookId: string, deliveryId: string, now: Date, newId: string): Promise<Delivery | undefined | "event-pruned">;
}
