import { create } from "@bufbuild/protobuf";
import { WebhookDeliverySchema, WebhookDeliveryStatus, WebhookSchema, type Webhook as PbWebhook, type WebhookDelivery as PbDelivery } from "../../../gen/vellum/v1/webhook_pb.js";
import type { Delivery, DeliveryStatus, Webhook } from "../domain/webhooks/types.js";
import { invalidField } from "../domain/errors.js";
import { ts } from "./convert.js";

export function webhookToPb(w: Webhook): PbWebhook {
  return create(WebhookSchema, {
    webhookId: w.id,
    storeId: w.storeId,
    url: w.url,
    events: [...w.events],
    resourceType: w.resourceType,
    tags: [...w.tags],
    active: w.active,
    description: w.description,
    disabledReason: w.disabledReason,
    createTime: ts(w.createTime),
    updateTime: ts(w.updateTime),
    previousSecretExpireTime: ts(w.previousSecretExpireTime),
  });
}

export function deliveryToPb(d: Delivery): PbDelivery {
  return create(WebhookDeliverySchema, {
    deliveryId: d.id,
    webhookId: d.webhookId,
    eventId: BigInt(d.eventSeq),
    eventType: d.eventType,
    status: WebhookDeliveryStatus[d.status],
    attempts: d.attempts,
    responseCode: d.responseCode,
    latencyMs: d.latencyMs,
    lastError: d.lastError,
    nextAttemptTime: d.status === "PENDING" ? ts(d.nextAttemptTime) : undefined,
    createTime: ts(d.createTime),
    updateTime: ts(d.updateTime),
    redeliveryOf: d.redeliveryOf ?? "",
  });
}

/** The status filter of ListDeliveries; UNSPECIFIED is none, an unknown number INVALID_ARGUMENT. */
export function deliveryStatusFromPb(s: WebhookDeliveryStatus): DeliveryStatus | undefined {
  if (s === WebhookDeliveryStatus.UNSPECIFIED) return undefined;
  const name = WebhookDeliveryStatus[s] as DeliveryStatus | undefined;
  if (!name) throw invalidField("status", "is not a WebhookDeliveryStatus");
  return name;
}
