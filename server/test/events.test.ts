import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ApiKeyService } from "../../gen/vellum/v1/api_key_service_pb.js";
import { CatalogService } from "../../gen/vellum/v1/catalog_service_pb.js";
import { EventService, type WatchEventsResponse } from "../../gen/vellum/v1/event_service_pb.js";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { codeOf, failureOf, startSecureServer, TEST_SHARE_SECRET, type Credential, type SecureServer } from "./support/security-fixtures.js";
import { startServerProcess } from "./support/server-process.js";

interface Ctx {
  env: SecureServer;
  admin: Credential;
}
const test = suite<Ctx>("events: outbox, ListEvents and WatchEvents (real server, real Postgres)");

test.before(async (ctx) => {
  ctx.env = await startSecureServer({ VELLUM_EVENT_HEARTBEAT_MS: "300", VELLUM_EVENT_MAX_WATCHERS: "3" });
  ctx.admin = { apiKey: ctx.env.adminKey };
});
test.after(async (ctx) => {
  await ctx.env.close();
});

const create = async (env: SecureServer, cred: Credential, storeId: string, resourceType = "doc", tags: string[] = []) =>
  (
    await env.client(SnapshotService, cred).createSnapshot({
      storeId,
      resourceType,
      resourceId: "r1",
      tags,
      snapshotType: SnapshotType.BLOB,
      payload: { case: "data", value: Buffer.from(`${Math.random()}`) },
    })
  ).snapshot!;

/** Reads `stream` until `stop` says so; returns what it read (the stream is left open to the caller). */
async function readUntil(stream: AsyncIterator<WatchEventsResponse>, stop: (seen: WatchEventsResponse[]) => boolean): Promise<WatchEventsResponse[]> {
  const seen: WatchEventsResponse[] = [];
  while (!stop(seen)) {
    const r = await stream.next();
    if (r.done) break;
    seen.push(r.value);
  }
  return seen;
}

test("changes become events in commit order, with types, data and filters; ListEvents pages by cursor", async ({ env, admin }) => {
  const events = env.client(EventService, admin);
  const a = await create(env, admin, "ev1", "doc", ["blue"]);
  const b = await create(env, admin, "ev1", "img");
  await env.client(CatalogService, admin).addTags({ storeId: "ev1", snapshotId: b.snapshotId, tags: ["red"] });
  await env.client(SnapshotService, admin).deleteSnapshot({ storeId: "ev1", snapshotId: a.snapshotId });
  const all = await events.listEvents({ storeId: "ev1" });
  assert.equal(all.events.map((e) => e.type), ["snapshot.created", "snapshot.created", "snapshot.tagged", "snapshot.deleted"]);
  const ids = all.events.map((e) => e.eventId);
  assert.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]), "ids increase");
  assert.is(all.nextAfterEventId, ids[3]);
  assert.is(all.events[0].snapshotId, a.snapshotId);
  assert.is(all.events[0].subjectResourceType, "doc");
  assert.match(all.events[0].actor, /^api_key:/);
  assert.equal(all.events[2].tags, ["red"]);
  const data = all.events[0].data!.kind;
  assert.is(data.case, "structValue");

  const page1 = await events.listEvents({ storeId: "ev1", pageSize: 3 });
  assert.is(page1.events.length, 3);
  const page2 = await events.listEvents({ storeId: "ev1", pageSize: 3, afterEventId: page1.nextAfterEventId });
  assert.equal(page2.events.map((e) => e.eventId), [ids[3]]);
  const rest = await events.listEvents({ storeId: "ev1", afterEventId: page2.nextAfterEventId });
  assert.equal([rest.events.length, rest.nextAfterEventId], [0, page2.nextAfterEventId]);

  const onlyImg = await events.listEvents({ storeId: "ev1", filter: { resourceType: "img" } });
  assert.equal(onlyImg.events.map((e) => e.type), ["snapshot.created", "snapshot.tagged"]);
  const byPrefix = await events.listEvents({ storeId: "ev1", filter: { types: ["snapshot.d*".replace("d*", "*"), "version.created"], tags: ["blue"] } });
  assert.equal(byPrefix.events.map((e) => e.type), ["snapshot.created", "snapshot.deleted"]);
  const bad = await failureOf(events.listEvents({ storeId: "ev1", filter: { types: ["snapshot.exploded"] } }));
  assert.is(bad.code, Code.InvalidArgument);
  assert.match(bad.message, /filter\.types/);
  assert.is(await codeOf(events.listEvents({ storeId: "ev1", afterEventId: -1n })), Code.InvalidArgument);
});

test("a watcher that disconnects and resumes from its last id sees every event exactly once", async ({ env, admin }) => {
  const events = env.client(EventService, admin);
  const first = new AbortController();
  const stream = events.watchEvents({ storeId: "ev2" }, { signal: first.signal })[Symbol.asyncIterator]();
  const hello = await stream.next();
  assert.ok(hello.value.heartbeat, "the first message is a heartbeat with the starting cursor");
  const writes = (async () => {
    const made: string[] = [];
    for (let i = 0; i < 12; i++) made.push(...(await Promise.all([0, 1, 2].map(async () => (await create(env, admin, "ev2")).snapshotId))));
    return made;
  })();
  const part1 = (await readUntil(stream, (s) => s.filter((m) => m.event).length >= 7)).filter((m) => m.event);
  first.abort();
  await stream.return?.(undefined).catch(() => undefined);
  const last = part1[part1.length - 1].lastEventId;
  const made = await writes;
  const second = new AbortController();
  const resumed = events.watchEvents({ storeId: "ev2", afterEventId: last }, { signal: second.signal })[Symbol.asyncIterator]();
  const part2 = (await readUntil(resumed, (s) => s.filter((m) => m.event).length >= made.length - part1.length)).filter((m) => m.event);
  second.abort();
  const seen = [...part1, ...part2].map((m) => m.event!.snapshotId);
  assert.is(seen.length, made.length);
  assert.equal([...seen].sort(), [...made].sort(), "every snapshot exactly once");
  const seqs = [...part1, ...part2].map((m) => m.event!.eventId);
  assert.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]), "in event id order");
});

test("idle streams get heartbeats; filters apply; Connect over HTTP/1.1 streams too", async ({ env, admin }) => {
  const ac = new AbortController();
  const events = createClient(EventService, env.transport(admin, "connect-h1"));
  const stream = events.watchEvents({ storeId: "ev3", filter: { resourceType: "img" } }, { signal: ac.signal })[Symbol.asyncIterator]();
  const start = (await stream.next()).value as WatchEventsResponse;
  await create(env, admin, "ev3", "doc");
  const img = await create(env, admin, "ev3", "img");
  const got = await readUntil(stream, (s) => s.some((m) => m.event) && s.filter((m) => m.heartbeat).length >= 1);
  ac.abort();
  assert.equal(got.filter((m) => m.event).map((m) => m.event!.snapshotId), [img.snapshotId]);
  const beat = got.filter((m) => m.heartbeat).at(-1)!;
  assert.ok(beat.lastEventId > start.lastEventId, "a heartbeat's cursor moves past filtered-out events");
});

test("scopes, store isolation and the watcher bound", async ({ env, admin }) => {
  const keys = env.client(ApiKeyService, admin);
  const readerA = { apiKey: (await keys.createApiKey({ name: "a", scopes: ["snapshot:read"], storeIds: ["iso-a"] })).key };
  const noScope = { apiKey: (await keys.createApiKey({ name: "w", scopes: ["snapshot:write"], storeIds: ["iso-a"] })).key };
  await create(env, admin, "iso-b");
  const asA = env.client(EventService, readerA);
  assert.is(await codeOf(asA.listEvents({ storeId: "iso-b" })), Code.NotFound);
  assert.is(await codeOf(async () => { for await (const _ of asA.watchEvents({ storeId: "iso-b" })) break; }), Code.NotFound);
  assert.is(await codeOf(env.client(EventService, noScope).listEvents({ storeId: "iso-a" })), Code.PermissionDenied);
  assert.equal((await asA.listEvents({ storeId: "iso-a" })).events, []);

  const open = [0, 1, 2].map(() => new AbortController());
  const streams = open.map((ac) => asA.watchEvents({ storeId: "iso-a" }, { signal: ac.signal })[Symbol.asyncIterator]());
  for (const s of streams) assert.ok((await s.next()).value.heartbeat);
  const refused = await failureOf(async () => { for await (const _ of asA.watchEvents({ storeId: "iso-a" })) break; });
  assert.is(refused.code, Code.ResourceExhausted);
  // Another caller on the same store is not affected.
  const other = new AbortController();
  assert.ok((await env.client(EventService, admin).watchEvents({ storeId: "iso-a" }, { signal: other.signal })[Symbol.asyncIterator]().next()).value.heartbeat);
  other.abort();
  open[0].abort();
  await streams[0].return?.(undefined).catch(() => undefined);
  // The slot is released when the stream ends.
  let again: WatchEventsResponse | undefined;
  for (let i = 0; i < 50 && !again; i++) {
    try {
      const ac = new AbortController();
      again = (await asA.watchEvents({ storeId: "iso-a" }, { signal: ac.signal })[Symbol.asyncIterator]().next()).value;
      ac.abort();
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  assert.ok(again?.heartbeat);
  for (const ac of open) ac.abort();
});

test("a second server process on the same database streams events written by the first", async ({ env, admin }) => {
  const dir = `${env.server.config.dataDir}-p2`;
  const p2 = await startServerProcess({
    DATABASE_URL: env.server.config.databaseUrl!,
    VELLUM_DATA_DIR: dir,
    VELLUM_AUTH: "required",
    VELLUM_ADMIN_KEY: env.adminKey,
    VELLUM_SHARE_SECRET: TEST_SHARE_SECRET,
    VELLUM_JOB_CONCURRENCY: "0",
    VELLUM_WEBHOOK_CONCURRENCY: "0",
  });
  try {
    const ac = new AbortController();
    const client = createClient(EventService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${p2.port}`, interceptors: [(next) => (req) => (req.header.set("x-api-key", env.adminKey), next(req))] }));
    const stream = client.watchEvents({ storeId: "ev5" }, { signal: ac.signal })[Symbol.asyncIterator]();
    assert.ok((await stream.next()).value.heartbeat);
    const s = await create(env, admin, "ev5");
    const got = await readUntil(stream, (seen) => seen.some((m) => m.event));
    ac.abort();
    assert.is(got.find((m) => m.event)!.event!.snapshotId, s.snapshotId);
  } finally {
    p2.child.kill("SIGTERM");
    await p2.exited;
  }
});

test("on shutdown open streams end normally, so the drain does not wait for them", async ({ env, admin }) => {
  const stream = env.client(EventService, admin).watchEvents({ storeId: "ev6" })[Symbol.asyncIterator]();
  assert.ok((await stream.next()).value.heartbeat);
  env.server.services.events.closeStreams();
  const rest = await readUntil(stream, () => false);
  assert.ok(rest.every((m) => m.heartbeat), "nothing but heartbeats before the end");
  assert.is((await stream.next()).done, true);
});

test.run();
