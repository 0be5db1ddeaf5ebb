/**
 * The SDK's EventService and WebhookService wrappers against the real server: watchEvents resumes
 * by itself after its TCP connections are cut (through a local proxy) with every event exactly
 * once; listEvents pages to the head; webhook wrappers create, update by changed fields, rotate,
 * list and redeliver.
 */
import net from "node:net";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  createVellumClient,
  createWebhook,
  jsonPayload,
  listDeliveries,
  listEvents,
  listWebhooks,
  rotateWebhookSecret,
  SnapshotType,
  updateWebhook,
  watchEvents,
  type Event,
  type VellumClient,
} from "../src/index.js";
import { NODE_TRANSPORTS, startSdkServer, type SdkServer } from "./support/sdk-server.js";

/** A TCP proxy to `port` whose connections can all be cut at once. */
async function cuttableProxy(port: number) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, "127.0.0.1");
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    cutAll: () => sockets.forEach((s) => s.destroy()),
    close: () => (sockets.forEach((s) => s.destroy()), new Promise((r) => server.close(r))),
  };
}

interface Ctx {
  srv: SdkServer;
}
const test = suite<Ctx>("sdk: watchEvents (auto-resume), listEvents and webhook wrappers (real server)", {} as Ctx);
test.before(async (ctx) => {
  ctx.srv = await startSdkServer();
});
test.after(async (ctx) => {
  await ctx.srv.close();
});

const make = (client: VellumClient, storeId: string, i: number) =>
  client.snapshots.createSnapshot({ storeId, resourceType: "doc", snapshotType: SnapshotType.JSON, payload: jsonPayload({ i }) });

for (const t of NODE_TRANSPORTS) {
  test(`${t.name}: watchEvents survives cut connections and yields every event exactly once`, async ({ srv }) => {
    const proxy = await cuttableProxy(srv.server.port);
    const direct = createVellumClient(t.make(srv.baseUrl));
    const viaProxy = createVellumClient(t.make(proxy.baseUrl));
    const store = `sdk-watch-${t.name.length}`;
    const ac = new AbortController();
    const reconnects: bigint[] = [];
    let live!: () => void;
    const started = new Promise<void>((r) => (live = r));
    const seen: Event[] = [];
    const reading = (async () => {
      for await (const e of watchEvents(viaProxy, { storeId: store }, { signal: ac.signal, onHeartbeat: () => live(), onReconnect: (r) => reconnects.push(r.lastEventId), reconnect: { initialDelayMs: 20 } })) {
        seen.push(e);
        if (seen.length === 30) ac.abort();
      }
    })();
    await started;
    const made: string[] = [];
    for (let i = 0; i < 30; i++) {
      made.push((await make(direct, store, i)).snapshot!.snapshotId);
      if (i % 7 === 3) proxy.cutAll();
    }
    await reading;
    await proxy.close();
    assert.ok(reconnects.length >= 1, "it had to reconnect");
    assert.equal(seen.map((e) => e.snapshotId), made, "every event once, in order");
  });
}

test("listEvents pages to the head; webhook wrappers", async ({ srv }) => {
  const client = createVellumClient(NODE_TRANSPORTS[0].make(srv.baseUrl));
  for (let i = 0; i < 5; i++) await make(client, "sdk-ev", i);
  const all: Event[] = [];
  for await (const e of listEvents(client, { storeId: "sdk-ev", pageSize: 2 })) all.push(e);
  assert.equal(all.map((e) => e.type), Array(5).fill("snapshot.created"));

  // A literal public address passes registration; inactive, so nothing is ever sent to it.
  const { webhook, secret } = await createWebhook(client, { storeId: "sdk-ev", url: "https://93.184.216.34/hook", active: false, events: ["snapshot.*"] });
  assert.match(secret, /^whsec_/);
  const updated = await updateWebhook(client, "sdk-ev", webhook.webhookId, { description: "cdn purge", tags: ["prod"] });
  assert.equal([updated.description, updated.tags, updated.events, updated.active], ["cdn purge", ["prod"], ["snapshot.*"], false]);
  const rotated = await rotateWebhookSecret(client, { storeId: "sdk-ev", webhookId: webhook.webhookId });
  assert.ok(rotated.secret !== secret && rotated.webhook.previousSecretExpireTime);
  const listed = [];
  for await (const w of listWebhooks(client, { storeId: "sdk-ev", pageSize: 1 })) listed.push(w.webhookId);
  assert.equal(listed, [webhook.webhookId]);
  const ds = [];
  for await (const d of listDeliveries(client, { storeId: "sdk-ev", webhookId: webhook.webhookId })) ds.push(d);
  assert.equal(ds, [], "an inactive webhook gets no deliveries");
});

test.run();
