import { uuidv7 } from "uuidv7";
import type { Config } from "../config.js";
import { EVERY_STORE, type EventWakeups } from "../domain/events/ports.js";
import { systemClock } from "../domain/ports.js";
import { createDispatcher } from "../domain/webhooks/dispatcher.js";
import { createWebhookUseCases, type WebhookUseCases } from "../domain/webhooks/webhook-use-cases.js";
import type { Logger } from "../lib/logger.js";
import { createWebhookSender } from "../outbound/webhook-sender.js";
import { eventToJson } from "../rpc/event-convert.js";
import { createDispatchStore } from "../storage/db/webhook-dispatch-repo.js";
import { createWebhookRepository } from "../storage/db/webhook-repo.js";
import type { DatabaseUseCases } from "./database.js";
import type { Wired } from "./module.js";
import type { OutboundUseCases } from "./outbound.js";

export interface WebhooksUseCases {
  webhooks: WebhookUseCases;
}

/**
 * WebhookService's use-cases, and (when VELLUM_WEBHOOK_CONCURRENCY > 0) this process's dispatcher,
 * woken by event commits in any store, sending through the SSRF guard.
 */
export function wireWebhooks(
  config: Pick<Config, "events">,
  log: Logger,
  deps: DatabaseUseCases & OutboundUseCases & { wakeups: EventWakeups },
): Wired<WebhooksUseCases> {
  const { db } = deps.database;
  const webhooks = createWebhookUseCases({
    webhooks: createWebhookRepository(db),
    checkUrl: (raw, field) => deps.outbound.checkUrl(raw, field),
    clock: systemClock,
    newId: () => uuidv7(),
  });
  const c = config.events;
  const dispatcher =
    c.webhookConcurrency > 0
      ? createDispatcher({
          store: createDispatchStore(db),
          sender: createWebhookSender(deps.outbound),
          render: eventToJson,
          wakeup: deps.wakeups.subscribe(EVERY_STORE),
          clock: systemClock,
          concurrency: c.webhookConcurrency,
          timeoutMs: c.webhookTimeoutMs,
          retryBaseMs: c.webhookRetryBaseMs,
          maxAttempts: c.webhookMaxAttempts,
          log: log.child({ component: "webhooks" }),
        })
      : undefined;
  dispatcher?.start();
  return {
    useCases: { webhooks },
    jobKinds: [],
    async close(graceMs) {
      await dispatcher?.stop(graceMs);
    },
  };
}
