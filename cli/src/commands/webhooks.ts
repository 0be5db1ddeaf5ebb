/** `webhooks create|ls|update|rm|rotate|deliveries|redeliver`: a store's webhooks and their deliveries. */
import {
  createWebhook,
  listDeliveries,
  listWebhooks,
  redeliverWebhook,
  rotateWebhookSecret,
  updateWebhook,
  WebhookDeliverySchema,
  WebhookDeliveryStatus,
  WebhookSchema,
  toJson,
  type Webhook,
  type WebhookChanges,
  type WebhookDelivery,
} from "@vellum/sdk";
import type { CommandGroup } from "../command.js";
import type { CliContext } from "../context.js";
import { CliError } from "../exit-codes.js";
import { pageSizeFor, printList, take } from "../listing.js";
import { collect, enumValue, parseCount } from "../parse.js";
import { DELIVERY_HEAD, deliveryRow, WEBHOOK_HEAD, webhookRow } from "../render.js";

function printWebhook(ctx: CliContext, w: Webhook, secret?: string): void {
  if (ctx.out.json) return ctx.out.printJson({ ...(toJson(WebhookSchema, w) as object), ...(secret ? { secret } : {}) });
  ctx.out.table(WEBHOOK_HEAD, [webhookRow(w)]);
  if (secret) ctx.out.print(`secret: ${secret}\n(shown once: keep it to verify the webhook-signature header)`);
}

const yesNo = (text: string, what: string): boolean => {
  if (/^(true|yes|on)$/i.test(text)) return true;
  if (/^(false|no|off)$/i.test(text)) return false;
  throw new CliError(`${what} must be true or false, got ${JSON.stringify(text)}`);
};

type FilterOptions = { event?: string[]; resourceType?: string; tag?: string[]; description?: string };

export const webhookCommands: CommandGroup = {
  register(program, withContext) {
    const hooks = program.command("webhooks").description("webhooks: HTTP receivers of the store's events, signed per Standard Webhooks");
    hooks
      .command("create")
      .description("register a receiver URL (checked: no private, loopback or metadata addresses); prints its secret once")
      .argument("<url>", "http(s) URL of the receiver")
      .option("--event <type>", "an event type or prefix.* to deliver (repeatable; default all)", collect)
      .option("--resource-type <type>", "only events about this resource type")
      .option("--tag <tag>", "only events about snapshots with this tag (repeatable)", collect)
      .option("--description <text>", "free text")
      .option("--secret <whsec>", "signing secret (whsec_<base64>); default: generated")
      .option("--inactive", "register without delivering yet")
      .action(
        withContext(async (ctx, url: string, o: FilterOptions & { secret?: string; inactive?: boolean }) => {
          const r = await createWebhook(ctx.client(), {
            storeId: ctx.store(),
            url,
            events: o.event,
            resourceType: o.resourceType,
            tags: o.tag,
            description: o.description,
            secret: o.secret,
            active: !o.inactive,
          });
          printWebhook(ctx, r.webhook, r.secret);
        }),
      );
    hooks
      .command("ls")
      .description("the store's webhooks, newest first")
      .option("--limit <n>", "at most this many (0 for all)", "50")
      .action(
        withContext(async (ctx, o: { limit: string }) => {
          const limit = parseCount(o.limit, "--limit");
          const items = await take(listWebhooks(ctx.client(), { storeId: ctx.store(), pageSize: pageSizeFor(limit) }), limit);
          printList(ctx, items, (w: Webhook) => toJson(WebhookSchema, w), WEBHOOK_HEAD, webhookRow);
        }),
      );
    hooks
      .command("update")
      .description("change a webhook's URL, filters, description or active state (only the options given)")
      .argument("<webhook>", "webhook id")
      .option("--url <url>", "new receiver URL")
      .option("--event <type>", "event types, replacing the current list (repeatable)", collect)
      .option("--all-events", "deliver every event type")
      .option("--resource-type <type>", "only events about this resource type (\"\" for any)")
      .option("--tag <tag>", "tags, replacing the current list (repeatable)", collect)
      .option("--description <text>", "free text")
      .option("--active <bool>", "true (clears the disabled reason) or false")
      .action(
        withContext(async (ctx, id: string, o: FilterOptions & { url?: string; allEvents?: boolean; active?: string }) => {
          const changes: WebhookChanges = {
            url: o.url,
            events: o.allEvents ? [] : o.event,
            resourceType: o.resourceType,
            tags: o.tag,
            description: o.description,
            active: o.active === undefined ? undefined : yesNo(o.active, "--active"),
          };
          if (Object.values(changes).every((v) => v === undefined)) throw new CliError("nothing to change: pass --url, --event, --all-events, --resource-type, --tag, --description or --active");
          printWebhook(ctx, await updateWebhook(ctx.client(), ctx.store(), id, changes));
        }),
      );
    hooks
      .command("rm")
      .description("delete a webhook and its delivery records")
      .argument("<webhook>", "webhook id")
      .action(
        withContext(async (ctx, id: string) => {
          await ctx.client().webhooks.deleteWebhook({ storeId: ctx.store(), webhookId: id });
          if (ctx.out.json) ctx.out.printJson({ deleted: id });
          else ctx.out.print(`deleted webhook ${id}`);
        }),
      );
    hooks
      .command("rotate")
      .description("replace the signing secret; the old one keeps signing for the grace period")
      .argument("<webhook>", "webhook id")
      .option("--grace <seconds>", "how long the old secret keeps signing (default a day, at most a week)")
      .option("--now", "stop signing with the old secret at once")
      .option("--secret <whsec>", "the new secret; default: generated")
      .action(
        withContext(async (ctx, id: string, o: { grace?: string; now?: boolean; secret?: string }) => {
          const r = await rotateWebhookSecret(ctx.client(), {
            storeId: ctx.store(),
            webhookId: id,
            gracePeriodSeconds: o.grace === undefined ? 0 : parseCount(o.grace, "--grace"),
            expirePreviousNow: o.now === true,
            secret: o.secret,
          });
          printWebhook(ctx, r.webhook, r.secret);
        }),
      );
    hooks
      .command("deliveries")
      .description("a webhook's deliveries, newest first: status, attempts, response code, latency, last error")
      .argument("<webhook>", "webhook id")
      .option("--status <status>", "pending, succeeded or failed")
      .option("--limit <n>", "at most this many (0 for all)", "50")
      .action(
        withContext(async (ctx, id: string, o: { status?: string; limit: string }) => {
          const limit = parseCount(o.limit, "--limit");
          const status = o.status === undefined ? undefined : enumValue(WebhookDeliveryStatus, "--status", o.status);
          const items = await take(listDeliveries(ctx.client(), { storeId: ctx.store(), webhookId: id, status, pageSize: pageSizeFor(limit) }), limit);
          printList(ctx, items, (d: WebhookDelivery) => toJson(WebhookDeliverySchema, d), DELIVERY_HEAD, deliveryRow);
        }),
      );
    hooks
      .command("redeliver")
      .description("send a delivery's event again (same webhook-id) as a new delivery")
      .argument("<webhook>", "webhook id")
      .argument("<delivery>", "delivery id")
      .action(
        withContext(async (ctx, id: string, deliveryId: string) => {
          const d = await redeliverWebhook(ctx.client(), ctx.store(), id, deliveryId);
          printList(ctx, [d], (x: WebhookDelivery) => toJson(WebhookDeliverySchema, x), DELIVERY_HEAD, deliveryRow);
        }),
      );
  },
};
