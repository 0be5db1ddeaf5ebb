import type { ServiceImpl } from "@connectrpc/connect";
import { WebhookService } from "../../../gen/vellum/v1/webhook_service_pb.js";
import type { WebhookUseCases } from "../domain/webhooks/webhook-use-cases.js";
import { auditOf } from "./context.js";
import { deliveryStatusFromPb, deliveryToPb, webhookToPb } from "./webhook-convert.js";

/** WebhookService: registration, secret rotation and delivery records. Secrets leave only in create/rotate responses. */
export function createWebhookServiceImpl(deps: { webhooks: WebhookUseCases }): ServiceImpl<typeof WebhookService> {
  const { webhooks } = deps;
  return {
    async createWebhook(req, ctx) {
      const r = await webhooks.create(req, auditOf(ctx));
      return { webhook: webhookToPb(r.webhook), secret: r.secret };
    },
    async listWebhooks(req) {
      const page = await webhooks.list(req);
      return { webhooks: page.webhooks.map(webhookToPb), nextPageToken: page.nextPageToken };
    },
    async updateWebhook(req, ctx) {
      const w = req.webhook;
      const values = { url: w?.url ?? "", events: w?.events ?? [], resourceType: w?.resourceType ?? "", tags: w?.tags ?? [], active: w?.active ?? false, description: w?.description ?? "" };
      const updated = await webhooks.update({ storeId: req.storeId, webhookId: w?.webhookId ?? "", paths: req.updateMask?.paths ?? [], values }, auditOf(ctx));
      return { webhook: webhookToPb(updated) };
    },
    async deleteWebhook(req, ctx) {
      await webhooks.delete(req, auditOf(ctx));
      return {};
    },
    async rotateWebhookSecret(req, ctx) {
      const r = await webhooks.rotate(req, auditOf(ctx));
      return { webhook: webhookToPb(r.webhook), secret: r.secret };
    },
    async listDeliveries(req) {
      const page = await webhooks.listDeliveries({ ...req, status: deliveryStatusFromPb(req.status) });
      return { deliveries: page.deliveries.map(deliveryToPb), nextPageToken: page.nextPageToken };
    },
    async redeliverWebhook(req) {
      return { delivery: deliveryToPb(await webhooks.redeliver(req)) };
    },
  };
}
