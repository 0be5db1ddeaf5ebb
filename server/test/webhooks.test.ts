import { Code } from "@connectrpc/connect";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ApiKeyService } from "../../gen/vellum/v1/api_key_service_pb.js";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { WebhookDeliveryStatus, type WebhookDelivery } from "../../gen/vellum/v1/webhook_pb.js";
import { WebhookService } from "../../gen/vellum/v1/webhook_service_pb.js";
import { codeOf, failureOf, startSecureServer, type Credential, type SecureServer } from "./support/security-fixtures.js";
import { eventually, startReceiver, type Receiver } from "./support/receiver-process.js";

interface Ctx {
  env: SecureServer;
  admin: Credential;
  rx: Receiver;
}
const test = suite<Ctx>("webhooks: registration, signed delivery, retries, timeouts, 410, rotation, redelivery (real receiver process)");

test.before(async (ctx) => {
  ctx.rx = await startReceiver();
  ctx.env = await startSecureServer({
    VELLUM_OUTBOUND_ALLOW_HOSTS: "127.0.0.1",
    VELLUM_WEBHOOK_RETRY_BASE_MS: "200",
    VELLUM_WEBHOOK_TIMEOUT_MS: "1000",
    VELLUM_WEBHOOK_MAX_ATTEMPTS: "4",
  });
  ctx.admin = { apiKey: ctx.env.adminKey };
});
test.after(async (ctx) => {
  await ctx.env.close();
  await ctx.rx.stop();
});
test.before.each(async ({ rx }) => {
  await rx.control({ mode: "ok", failTimes: 0, reset: true });
});

const create = async (env: SecureServer, cred: Credential, storeId: string, resourceType = "doc") =>
  (
    await env.client(SnapshotService, cred).createSnapshot({
      storeId,
      resourceType,
      resourceId: "r1",
      snapshotType: SnapshotType.BLOB,
      payload: { case: "data", value: Buffer.from(`${Math.random()}`) },
    })
  ).snapshot!;

const deliveriesOf = (env: SecureServer, cred: Credential, storeId: string, webhookId: string) => async () =>
  (await env.client(WebhookService, cred).listDeliveries({ storeId, webhookId })).deliveries;
const settled = (ds: WebhookDelivery[], n = 1) => ds.length >= n && ds.every((d) => d.status !== WebhookDeliveryStatus.PENDING);

test("registration: secrets shown once, bad and private URLs refused, scopes and store isolation", async ({ env, admin, rx }) => {
  const hooks = env.client(WebhookService, admin);
  const made = await hooks.createWebhook({ storeId: "wh1", url: rx.url, active: true, events: ["snapshot.*"], description: "d" });
  assert.match(made.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
  const w = made.webhook!;
  assert.equal([w.url, w.active, w.events, w.description], [rx.url, true, ["snapshot.*"], "d"]);
  const listed = await hooks.listWebhooks({ storeId: "wh1" });
  assert.equal(listed.webhooks.map((x) => x.webhookId), [w.webhookId]);
  assert.not.ok(JSON.stringify(listed, (_, v) => (typeof v === "bigint" ? String(v) : v)).includes(made.secret.slice(6, 20)), "list never shows the secret");

  for (const [url, why] of [
    ["not a url", /absolute URL/],
    ["ftp://127.0.0.1/x", /scheme/],
    ["http://user:pw@127.0.0.1/x", /credentials/],
    ["http://10.1.2.3/hook", /private/],
    ["http://169.254.169.254/latest/meta-data", /private|link-local/],
    ["http://[::1]:9/x", /private|loopback/],
    ["http://[::ffff:192.168.0.1]/x", /private/],
  ] as const) {
    const e = await failureOf(hooks.createWebhook({ storeId: "wh1", url, active: true }));
    assert.is(e.code, Code.InvalidArgument, url);
    assert.match(e.message, why, url);
  }
  assert.is(await codeOf(hooks.createWebhook({ storeId: "wh1", url: rx.url, events: ["snapshot.exploded"] })), Code.InvalidArgument);
  assert.is(await codeOf(hooks.createWebhook({ storeId: "wh1", url: rx.url, secret: "whsec_short" })), Code.InvalidArgument);

  const keys = env.client(ApiKeyService, admin);
  const writer = { apiKey: (await keys.createApiKey({ name: "w", scopes: ["snapshot:write"], storeIds: ["wh1"] })).key };
  const otherAdmin = { apiKey: (await keys.createApiKey({ name: "o", scopes: ["snapshot:admin"], storeIds: ["wh-other"] })).key };
  assert.is(await codeOf(env.client(WebhookService, writer).listWebhooks({ storeId: "wh1" })), Code.PermissionDenied);
  assert.is(await codeOf(env.client(WebhookService, otherAdmin).listWebhooks({ storeId: "wh1" })), Code.NotFound);
  // The id of another store's webhook is NOT_FOUND in this one.
  assert.is(await codeOf(hooks.deleteWebhook({ storeId: "wh-other", webhookId: w.webhookId })), Code.NotFound);
  assert.is(await codeOf(hooks.listDeliveries({ storeId: "wh-other", webhookId: w.webhookId })), Code.NotFound);

  const updated = await hooks.updateWebhook({ storeId: "wh1", webhook: { webhookId: w.webhookId, description: "new", url: "http://10.0.0.1/" }, updateMask: { paths: ["description"] } });
  assert.equal([updated.webhook!.description, updated.webhook!.url], ["new", rx.url], "only masked fields change");
  assert.is(await codeOf(hooks.updateWebhook({ storeId: "wh1", webhook: { webhookId: w.webhookId, url: "http://10.0.0.1/" }, updateMask: { paths: ["url"] } })), Code.InvalidArgument);
  assert.is(await codeOf(hooks.updateWebhook({ storeId: "wh1", webhook: { webhookId: w.webhookId }, updateMask: { paths: ["secret"] } })), Code.InvalidArgument);
  await hooks.deleteWebhook({ storeId: "wh1", webhookId: w.webhookId });
  assert.equal((await hooks.listWebhooks({ storeId: "wh1" })).webhooks, []);
});

test("a delivery is signed per Standard Webhooks (verified by the library in the receiver) and recorded", async ({ env, admin, rx }) => {
  const hooks = env.client(WebhookService, admin);
  const { webhook, secret } = await hooks.createWebhook({ storeId: "wh2", url: rx.url, active: true, events: ["snapshot.created"] });
  await rx.control({ secrets: [secret, "whsec_" + Buffer.alloc(32, 7).toString("base64")] });
  const s = await create(env, admin, "wh2");
  await env.client(SnapshotService, admin).deleteSnapshot({ storeId: "wh2", snapshotId: s.snapshotId });
  const got = await rx.until((r) => r.length >= 1);
  assert.equal(got[0].verified, [true, false], "verifies with its secret only");
  const body = JSON.parse(got[0].body);
  assert.equal([body.type, body.storeId, body.snapshotId, body.resourceType], ["snapshot.created", "wh2", s.snapshotId, "snapshot"]);
  assert.is(typeof body.eventId, "string", "int64 as a string (proto3 JSON)");
  assert.ok(got[0].headers["webhook-id"] && got[0].headers["webhook-timestamp"]);
  const ds = await eventually(deliveriesOf(env, admin, "wh2", webhook!.webhookId), (d) => settled(d));
  assert.is(ds.length, 1, "the delete did not match the webhook's events");
  assert.equal([ds[0].status, ds[0].attempts, ds[0].responseCode, ds[0].lastError, ds[0].eventType], [WebhookDeliveryStatus.SUCCEEDED, 1, 204, "", "snapshot.created"]);
  assert.ok(ds[0].latencyMs >= 0);
  await new Promise((r) => setTimeout(r, 300));
  assert.is((await rx.received()).length, 1, "exactly one request");
});

test("500s are retried with growing delays, same webhook-id; attempts are recorded", async ({ env, admin, rx }) => {
  const { webhook, secret } = await env.client(WebhookService, admin).createWebhook({ storeId: "wh3", url: rx.url, active: true });
  await rx.control({ mode: "fail", failTimes: 2, secrets: [secret] });
  await create(env, admin, "wh3");
  const got = await rx.until((r) => r.length >= 3);
  assert.equal(got.map((r) => r.status), [500, 500, 204]);
  assert.ok(got.every((r) => r.headers["webhook-id"] === got[0].headers["webhook-id"] && r.verified[0]));
  assert.ok(got[1].at - got[0].at >= 90, "first retry waits at least half the base delay");
  assert.ok(got[2].at - got[1].at >= 190, "the second waits at least half of twice the base");
  const ds = await eventually(deliveriesOf(env, admin, "wh3", webhook!.webhookId), (d) => settled(d));
  assert.equal([ds[0].status, ds[0].attempts, ds[0].responseCode], [WebhookDeliveryStatus.SUCCEEDED, 3, 204]);
});

test("attempts give up after VELLUM_WEBHOOK_MAX_ATTEMPTS; a redirect is not followed", async ({ env, admin, rx }) => {
  const { webhook } = await env.client(WebhookService, admin).createWebhook({ storeId: "wh4", url: rx.url, active: true });
  await rx.control({ mode: "redirect" });
  await create(env, admin, "wh4");
  const ds = await eventually(deliveriesOf(env, admin, "wh4", webhook!.webhookId), (d) => settled(d));
  assert.equal([ds[0].status, ds[0].attempts, ds[0].responseCode, ds[0].lastError], [WebhookDeliveryStatus.FAILED, 4, 302, "HTTP 302"]);
  const got = await rx.received();
  assert.equal(got.map((r) => r.path), ["/hook", "/hook", "/hook", "/hook"], "never /elsewhere");
});

test("a stalled receiver is cut at the attempt timeout and retried", async ({ env, admin, rx }) => {
  const { webhook } = await env.client(WebhookService, admin).createWebhook({ storeId: "wh5", url: rx.url, active: true });
  await rx.control({ mode: "stall" });
  await create(env, admin, "wh5");
  const first = await eventually(deliveriesOf(env, admin, "wh5", webhook!.webhookId), (d) => d.length === 1 && d[0].attempts >= 1);
  assert.is(first[0].lastError, "timed out after 1000 ms");
  assert.is(first[0].responseCode, 0);
  assert.ok(first[0].latencyMs >= 1000 && first[0].latencyMs < 3000, `latency ${first[0].latencyMs}`);
  await rx.control({ mode: "ok" });
  const ds = await eventually(deliveriesOf(env, admin, "wh5", webhook!.webhookId), (d) => settled(d));
  assert.is(ds[0].status, WebhookDeliveryStatus.SUCCEEDED);
});

test("410 Gone deactivates the webhook; reactivating resumes with new events only", async ({ env, admin, rx }) => {
  const hooks = env.client(WebhookService, admin);
  const { webhook } = await hooks.createWebhook({ storeId: "wh6", url: rx.url, active: true });
  await rx.control({ mode: "gone" });
  await create(env, admin, "wh6");
  const ds = await eventually(deliveriesOf(env, admin, "wh6", webhook!.webhookId), (d) => settled(d));
  assert.equal([ds[0].status, ds[0].attempts, ds[0].responseCode], [WebhookDeliveryStatus.FAILED, 1, 410]);
  const off = (await hooks.listWebhooks({ storeId: "wh6" })).webhooks[0];
  assert.equal([off.active, off.disabledReason], [false, "receiver answered 410 Gone"]);
  await rx.control({ mode: "ok", reset: true });
  await create(env, admin, "wh6");
  assert.is(await codeOf(hooks.redeliverWebhook({ storeId: "wh6", webhookId: webhook!.webhookId, deliveryId: ds[0].deliveryId })), Code.FailedPrecondition);
  const on = await hooks.updateWebhook({ storeId: "wh6", webhook: { webhookId: webhook!.webhookId, active: true }, updateMask: { paths: ["active"] } });
  assert.equal([on.webhook!.active, on.webhook!.disabledReason], [true, ""]);
  const third = await create(env, admin, "wh6");
  const got = await rx.until((r) => r.length >= 1);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await rx.received()).map((r) => JSON.parse(r.body).snapshotId), [third.snapshotId], "nothing from while it was off");
  assert.is(got.length, 1);
});

test("rotation: both secrets sign during the grace period, only the new one after; redelivery repeats the event", async ({ env, admin, rx }) => {
  const hooks = env.client(WebhookService, admin);
  const { webhook, secret: oldSecret } = await hooks.createWebhook({ storeId: "wh7", url: rx.url, active: true });
  const rotated = await hooks.rotateWebhookSecret({ storeId: "wh7", webhookId: webhook!.webhookId, gracePeriodSeconds: 3600 });
  assert.ok(rotated.webhook!.previousSecretExpireTime, "grace end shown");
  assert.is.not(rotated.secret, oldSecret);
  await rx.control({ secrets: [oldSecret, rotated.secret] });
  await create(env, admin, "wh7");
  const [during] = await rx.until((r) => r.length >= 1);
  assert.equal(during.verified, [true, true], "old and new secrets both verify");
  assert.is(during.headers["webhook-signature"].split(" ").length, 2);

  const custom = "whsec_" + Buffer.alloc(32, 9).toString("base64");
  const again = await hooks.rotateWebhookSecret({ storeId: "wh7", webhookId: webhook!.webhookId, secret: custom, expirePreviousNow: true });
  assert.is(again.secret, custom);
  assert.is(again.webhook!.previousSecretExpireTime, undefined);
  await rx.control({ secrets: [oldSecret, rotated.secret, custom], reset: true });
  await create(env, admin, "wh7");
  const [after] = await rx.until((r) => r.length >= 1);
  assert.equal(after.verified, [false, false, true]);

  const ds = await eventually(deliveriesOf(env, admin, "wh7", webhook!.webhookId), (d) => settled(d, 2));
  await rx.control({ reset: true });
  const re = await hooks.redeliverWebhook({ storeId: "wh7", webhookId: webhook!.webhookId, deliveryId: ds[1].deliveryId });
  assert.equal([re.delivery!.redeliveryOf, re.delivery!.eventId, re.delivery!.status], [ds[1].deliveryId, ds[1].eventId, WebhookDeliveryStatus.PENDING]);
  const [redelivered] = await rx.until((r) => r.length >= 1);
  assert.is(redelivered.headers["webhook-id"], during.headers["webhook-id"], "same event, same webhook-id");
  assert.equal(redelivered.verified, [false, false, true], "signed with the current secret");
  assert.is(await codeOf(hooks.redeliverWebhook({ storeId: "wh7", webhookId: webhook!.webhookId, deliveryId: "00000000-0000-7000-8000-000000000000" })), Code.NotFound);
});

test("fan-out covers every webhook of a store when more are behind than one pass takes", async ({ env, admin, rx }) => {
  const hooks = env.client(WebhookService, admin);
  for (let i = 0; i < 25; i++) await hooks.createWebhook({ storeId: "wh8", url: `${rx.url}?w=${i}`, active: true });
  await create(env, admin, "wh8");
  const got = await rx.until((r) => r.length >= 25);
  await new Promise((r) => setTimeout(r, 300));
  const paths = (await rx.received()).map((r) => r.path).sort();
  assert.equal(paths, Array.from({ length: 25 }, (_, i) => `/hook?w=${i}`).sort(), "each webhook exactly once");
  assert.is(new Set(got.map((r) => r.headers["webhook-id"])).size, 1, "one event");
});

test.run();
