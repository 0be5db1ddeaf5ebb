/**
 * Typed wrappers of WebhookService: results instead of envelopes, pagers for the List calls, and
 * `updateWebhook` taking the changed fields (the update mask is derived from them).
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import type { Webhook, WebhookDelivery } from "../../gen/vellum/v1/webhook_pb.js";
import type {
  CreateWebhookRequestSchema,
  ListDeliveriesRequestSchema,
  ListDeliveriesResponse,
  ListWebhooksRequestSchema,
  ListWebhooksResponse,
  RotateWebhookSecretRequestSchema,
} from "../../gen/vellum/v1/webhook_service_pb.js";
import type { CallOptions, VellumClient } from "./client.js";
import { VellumError } from "./errors.js";
import { paginate, type Paged } from "./paginate.js";

type Webhooks = Pick<VellumClient, "webhooks">;

/** A webhook with its signing secret (only CreateWebhook and RotateWebhookSecret reveal it). */
export interface WebhookWithSecret {
  webhook: Webhook;
  secret: string;
}

const webhookOf = (r: { webhook?: Webhook }, rpc: string): Webhook => {
  if (!r.webhook) throw new VellumError(Code.Internal, `${rpc} returned no webhook`);
  return r.webhook;
};

/** Registers a webhook; keep the returned secret to verify deliveries (it is not shown again). */
export async function createWebhook(client: Webhooks, req: MessageInitShape<typeof CreateWebhookRequestSchema>, options: CallOptions = {}): Promise<WebhookWithSecret> {
  const r = await client.webhooks.createWebhook(req, options);
  return { webhook: webhookOf(r, "CreateWebhook"), secret: r.secret };
}

/** The store's webhooks, newest first, across all pages. */
export function listWebhooks(client: Webhooks, req: MessageInitShape<typeof ListWebhooksRequestSchema>, options: CallOptions = {}): Paged<Webhook, ListWebhooksResponse> {
  return paginate((r, o) => client.webhooks.listWebhooks(r, o), req, (p) => p.webhooks, options);
}

/** Fields updateWebhook can change. */
export type WebhookChanges = Partial<Pick<Webhook, "url" | "events" | "resourceType" | "tags" | "active" | "description">>;
const MASK: Record<keyof WebhookChanges, string> = { url: "url", events: "events", resourceType: "resource_type", tags: "tags", active: "active", description: "description" };

/** Changes the given fields (and only those) of a webhook; `active: true` clears disabled_reason. */
export async function updateWebhook(client: Webhooks, storeId: string, webhookId: string, changes: WebhookChanges, options: CallOptions = {}): Promise<Webhook> {
  const paths = (Object.keys(changes) as (keyof WebhookChanges)[]).filter((k) => changes[k] !== undefined).map((k) => MASK[k]);
  const r = await client.webhooks.updateWebhook({ storeId, webhook: { ...changes, webhookId }, updateMask: { paths } }, options);
  return webhookOf(r, "UpdateWebhook");
}

/** Replaces the signing secret; the old one keeps signing for the grace period (default a day). */
export async function rotateWebhookSecret(client: Webhooks, req: MessageInitShape<typeof RotateWebhookSecretRequestSchema>, options: CallOptions = {}): Promise<WebhookWithSecret> {
  const r = await client.webhooks.rotateWebhookSecret(req, options);
  return { webhook: webhookOf(r, "RotateWebhookSecret"), secret: r.secret };
}

/** A webhook's deliveries, newest first, across all pages. */
export function listDeliveries(client: Webhooks, req: MessageInitShape<typeof ListDeliveriesRequestSchema>, options: CallOptions = {}): Paged<WebhookDelivery, ListDeliveriesResponse> {
  return paginate((r, o) => client.webhooks.listDeliveries(r, o), req, (p) => p.deliveries, options);
}

/** Sends a delivery's event again as a new delivery; returns it (PENDING). */
export async function redeliverWebhook(client: Webhooks, storeId: string, webhookId: string, deliveryId: string, options: CallOptions = {}): Promise<WebhookDelivery> {
  const r = await client.webhooks.redeliverWebhook({ storeId, webhookId, deliveryId }, options);
  if (!r.delivery) throw new VellumError(Code.Internal, "RedeliverWebhook returned no delivery");
  return r.delivery;
}
