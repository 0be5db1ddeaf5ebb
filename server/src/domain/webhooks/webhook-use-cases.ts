import type { AuditContext } from "../audit/audit-context.js";
import { failedPrecondition, invalidField, notFound } from "../errors.js";
import { parseEventFilter } from "../events/types.js";
import { decodePageToken, encodePageToken, pageSizeOf, parseTimeIdCursor } from "../paging.js";
import type { Clock } from "../ports.js";
import { UUID_RE } from "../validate.js";
import { secretOrGenerate } from "./secret.js";
import type { Delivery, DeliveryStatus, WebhookRepository, WebhookSettings } from "./types.js";

export const MAX_WEBHOOKS_PER_STORE = 100;
export const MAX_URL_CHARS = 2048;
export const MAX_DESCRIPTION_CHARS = 256;
/** Default and longest time a rotated-out secret keeps signing. */
export const DEFAULT_SECRET_GRACE_S = 86_400;
export const MAX_SECRET_GRACE_S = 7 * 86_400;

/** Fields UpdateWebhook may change. */
const UPDATABLE = new Set(["url", "events", "resource_type", "tags", "active", "description"]);

export interface WebhookUseCaseDeps {
  webhooks: WebhookRepository;
  /** The SSRF guard's registration check (outbound/outbound-guard.ts): INVALID_ARGUMENT naming `field`. */
  checkUrl(raw: string, field: string): Promise<URL>;
  clock: Clock;
  newId(): string;
}

const id = (value: string, field: string) => {
  if (!UUID_RE.test(value)) throw invalidField(field, "must be a UUID");
  return value.toLowerCase();
};

export function createWebhookUseCases(deps: WebhookUseCaseDeps) {
  const { webhooks, clock } = deps;

  /** Checks the settings present in `s` (the URL through the SSRF guard). */
  async function checked(s: Partial<WebhookSettings>): Promise<Partial<WebhookSettings>> {
    const out: { -readonly [K in keyof WebhookSettings]?: WebhookSettings[K] } = { ...s };
    if (s.url !== undefined) {
      if (s.url.length > MAX_URL_CHARS) throw invalidField("url", `at most ${MAX_URL_CHARS} characters`);
      out.url = (await deps.checkUrl(s.url, "url")).toString();
    }
    const f = parseEventFilter({ types: s.events, resourceType: s.resourceType, tags: s.tags }, { types: "events", resourceType: "resource_type", tags: "tags" });
    if (s.events !== undefined) out.events = f.types;
    if (s.tags !== undefined) out.tags = f.tags;
    if (s.description !== undefined && s.description.length > MAX_DESCRIPTION_CHARS) throw invalidField("description", `at most ${MAX_DESCRIPTION_CHARS} characters`);
    return out;
  }

  const existing = async (storeId: string, webhookId: string) => {
    const w = await webhooks.get(storeId, id(webhookId, "webhook_id"));
    if (!w) throw notFound("webhook", webhookId);
    return w;
  };

  return {
    /** CreateWebhook: returns the webhook and its secret (the only time it is shown, with rotate). */
    async create(req: WebhookSettings & { storeId: string; secret: string }, audit: AuditContext) {
      const settings = (await checked(req)) as WebhookSettings;
      const secret = secretOrGenerate(req.secret, "secret");
      const now = clock.now();
      const webhook = await webhooks.create(
        { ...settings, id: deps.newId(), storeId: req.storeId, disabledReason: "", createTime: now, updateTime: now },
        secret,
        MAX_WEBHOOKS_PER_STORE,
        audit,
      );
      return { webhook, secret };
    },

    async list(req: { storeId: string; pageSize: number; pageToken: string }) {
      const size = pageSizeOf(req.pageSize);
      const filters = { storeId: req.storeId };
      const rows = await webhooks.list(req.storeId, size + 1, decodePageToken(req.pageToken, filters, (c) => parseTimeIdCursor(c)));
      const page = rows.slice(0, size);
      const last = page[page.length - 1];
      return { webhooks: page, nextPageToken: rows.length > size && last ? encodePageToken({ t: last.createTime.toISOString(), id: last.id }, filters) : "" };
    },

    /** UpdateWebhook: `paths` are the update mask's (snake_case) field names. */
    async update(req: { storeId: string; webhookId: string; paths: readonly string[]; values: WebhookSettings }, audit: AuditContext) {
      if (req.paths.length === 0) throw invalidField("update_mask", "must name at least one field");
      const bad = req.paths.find((p) => !UPDATABLE.has(p));
      if (bad) throw invalidField("update_mask", `"${bad.slice(0, 64)}" cannot be updated; allowed: ${[...UPDATABLE].join(", ")}`);
      const key = { url: "url", events: "events", resource_type: "resourceType", tags: "tags", active: "active", description: "description" } as const;
      const patch: Partial<Record<keyof WebhookSettings, unknown>> = {};
      for (const p of req.paths) patch[key[p as keyof typeof key]] = req.values[key[p as keyof typeof key]];
      const webhookId = id(req.webhookId, "webhook.webhook_id");
      const w = await webhooks.update(req.storeId, webhookId, await checked(patch as Partial<WebhookSettings>), clock.now(), audit);
      if (!w) throw notFound("webhook", req.webhookId);
      return w;
    },

    async delete(req: { storeId: string; webhookId: string }, audit: AuditContext) {
      if (!(await webhooks.delete(req.storeId, id(req.webhookId, "webhook_id"), audit))) throw notFound("webhook", req.webhookId);
    },

    /** RotateWebhookSecret: the new secret signs at once; the old one until the grace period ends. */
    async rotate(req: { storeId: string; webhookId: string; secret: string; gracePeriodSeconds: number; expirePreviousNow: boolean }, audit: AuditContext) {
      const webhookId = id(req.webhookId, "webhook_id");
      if (req.gracePeriodSeconds < 0 || req.gracePeriodSeconds > MAX_SECRET_GRACE_S) throw invalidField("grace_period_seconds", `must be within [0, ${MAX_SECRET_GRACE_S}]`);
      const secret = secretOrGenerate(req.secret, "secret");
      const now = clock.now();
      const graceS = req.expirePreviousNow ? 0 : req.gracePeriodSeconds || DEFAULT_SECRET_GRACE_S;
      const until = graceS > 0 ? new Date(now.getTime() + graceS * 1000) : undefined;
      const webhook = await webhooks.rotate(req.storeId, webhookId, secret, until, now, audit);
      if (!webhook) throw notFound("webhook", req.webhookId);
      return { webhook, secret };
    },

    async listDeliveries(req: { storeId: string; webhookId: string; status?: DeliveryStatus; pageSize: number; pageToken: string }) {
      const size = pageSizeOf(req.pageSize);
      const w = await existing(req.storeId, req.webhookId);
      const filters = { storeId: req.storeId, webhookId: w.id, status: req.status ?? "" };
      const rows = await webhooks.listDeliveries(req.storeId, w.id, req.status, size + 1, decodePageToken(req.pageToken, filters, (c) => parseTimeIdCursor(c)));
      const page = rows.slice(0, size);
      const last = page[page.length - 1];
      return { deliveries: page, nextPageToken: rows.length > size && last ? encodePageToken({ t: last.createTime.toISOString(), id: last.id }, filters) : "" };
    },

    /** RedeliverWebhook: a fresh PENDING delivery of the same event. */
    async redeliver(req: { storeId: string; webhookId: string; deliveryId: string }): Promise<Delivery> {
      const w = await existing(req.storeId, req.webhookId);
      if (!w.active) throw failedPrecondition(`webhook ${w.id} is inactive; activate it first`, "WEBHOOK_INACTIVE");
      const r = await webhooks.redeliver(req.storeId, w.id, id(req.deliveryId, "delivery_id"), clock.now(), deps.newId());
      if (r === "event-pruned") throw notFound("event of delivery", req.deliveryId);
      if (!r) throw notFound("delivery", req.deliveryId);
      return r;
    },
  };
}

export type WebhookUseCases = ReturnType<typeof createWebhookUseCases>;
