import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { AuditService } from "../../gen/vellum/v1/audit_service_pb.js";
import { CatalogService } from "../../gen/vellum/v1/catalog_service_pb.js";
import { SnapshotAdminService } from "../../gen/vellum/v1/snapshot_admin_service_pb.js";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { failureOf } from "./support/security-fixtures.js";
import { createTestDatabase, type TestDatabase } from "./support/test-db.js";
import { startTestServer, tempDir, type TestServer } from "./support/test-server.js";

interface Clients {
  snaps: Client<typeof SnapshotService>;
  catalog: Client<typeof CatalogService>;
  admin: Client<typeof SnapshotAdminService>;
  audit: Client<typeof AuditService>;
}
interface Ctx extends Clients {
  db: TestDatabase;
  dir: ReturnType<typeof tempDir>;
  server: TestServer;
  /** A fresh set of clients on its own HTTP/2 connection. */
  connect(): Clients;
}
const test = suite<Ctx>("catalog: tags with live counts (real server)");

test.before(async (ctx) => {
  ctx.db = await createTestDatabase();
  ctx.dir = tempDir();
  ctx.server = await startTestServer({ DATABASE_URL: ctx.db.url, VELLUM_DATA_DIR: ctx.dir.path, VELLUM_RATE_WRITE_PER_SEC: "100000", VELLUM_RATE_WRITE_BURST: "100000" });
  ctx.connect = () => {
    const t = createGrpcTransport({ baseUrl: ctx.server.baseUrl });
    return {
      snaps: createClient(SnapshotService, t),
      catalog: createClient(CatalogService, t),
      admin: createClient(SnapshotAdminService, t),
      audit: createClient(AuditService, t),
    };
  };
  Object.assign(ctx, ctx.connect());
});
test.after(async (ctx) => {
  await ctx.server.stop();
  await ctx.db.drop();
  ctx.dir.remove();
});

const blob = (storeId: string, tags: string[] = [], body = `${Math.random()}`) => ({
  storeId,
  resourceType: "doc",
  snapshotType: SnapshotType.BLOB,
  tags,
  payload: { case: "data" as const, value: Buffer.from(body) },
});

/** Every tag of the store with its count, through ListTags, page by page. */
async function allTags(catalog: Client<typeof CatalogService>, storeId: string, pageSize = 3, prefix = "") {
  const out: [string, number][] = [];
  let pageToken = "";
  do {
    const page = await catalog.listTags({ storeId, prefix, pageSize, pageToken });
    out.push(...page.tags.map((t): [string, number] => [t.tag, Number(t.count)]));
    pageToken = page.nextPageToken;
  } while (pageToken);
  return out;
}

test("AddTags and RemoveTag: atomic, etag-checked, audited; no-ops keep the etag; deleted snapshots refuse", async ({ snaps, catalog, audit }) => {
  const s = (await snaps.createSnapshot(blob("t1", ["a"]))).snapshot!;
  const added = (await catalog.addTags({ storeId: "t1", snapshotId: s.snapshotId, tags: ["b", "a", "c", "b"], etag: s.etag })).snapshot!;
  assert.equal(added.tags, ["a", "b", "c"]);
  assert.is.not(added.etag, s.etag);
  const stale = await failureOf(catalog.addTags({ storeId: "t1", snapshotId: s.snapshotId, tags: ["d"], etag: s.etag }));
  assert.is(stale.code, Code.Aborted);
  assert.is((await failureOf(catalog.removeTag({ storeId: "t1", snapshotId: s.snapshotId, tag: "a", etag: s.etag }))).code, Code.Aborted);
  const same = (await catalog.addTags({ storeId: "t1", snapshotId: s.snapshotId, tags: ["c"] })).snapshot!;
  assert.is(same.etag, added.etag, "adding present tags changes nothing");
  const removed = (await catalog.removeTag({ storeId: "t1", snapshotId: s.snapshotId, tag: "b", etag: added.etag })).snapshot!;
  assert.equal(removed.tags, ["a", "c"]);
  assert.is((await catalog.removeTag({ storeId: "t1", snapshotId: s.snapshotId, tag: "zzz" })).snapshot!.etag, removed.etag);
  const events = (await audit.getSnapshotAudit({ storeId: "t1", snapshotId: s.snapshotId })).events;
  assert.equal(events.map((e) => e.action), ["snapshot.create", "snapshot.tag", "snapshot.untag"]);

  for (const bad of [[], ["has space"], Array.from({ length: 65 }, (_, i) => `t${i}`)]) {
    assert.is((await failureOf(catalog.addTags({ storeId: "t1", snapshotId: s.snapshotId, tags: bad }))).code, Code.InvalidArgument);
  }
  const full = (await snaps.createSnapshot(blob("t1", Array.from({ length: 63 }, (_, i) => `x${i}`)))).snapshot!;
  const tooMany = await failureOf(catalog.addTags({ storeId: "t1", snapshotId: full.snapshotId, tags: ["y1", "y2"] }));
  assert.is(tooMany.code, Code.FailedPrecondition);
  assert.is((await catalog.addTags({ storeId: "t1", snapshotId: full.snapshotId, tags: ["y1"] })).snapshot!.tags.length, 64);
  await snaps.deleteSnapshot({ storeId: "t1", snapshotId: s.snapshotId });
  assert.is((await failureOf(catalog.addTags({ storeId: "t1", snapshotId: s.snapshotId, tags: ["z"] }))).code, Code.FailedPrecondition);
  assert.is((await failureOf(catalog.removeTag({ storeId: "t1", snapshotId: s.snapshotId, tag: "a" }))).code, Code.FailedPrecondition);
  assert.is((await failureOf(catalog.addTags({ storeId: "t1", snapshotId: "00000000-0000-7000-8000-000000000000", tags: ["z"] }))).code, Code.NotFound);
});

test("ListTags: live counts by count descending then tag, with prefix and paging", async ({ snaps, catalog, admin }) => {
  const store = "t2";
  const made = [];
  for (const tags of [["red", "sale"], ["red"], ["red", "blue"], ["blue", "sale"], ["green"], ["release/2024"], ["release/2025", "red"]]) {
    made.push((await snaps.createSnapshot(blob(store, tags))).snapshot!);
  }
  assert.equal(await allTags(catalog, store), [["red", 4], ["blue", 2], ["sale", 2], ["green", 1], ["release/2024", 1], ["release/2025", 1]]);
  assert.equal(await allTags(catalog, store, 1, "re"), [["red", 4], ["release/2024", 1], ["release/2025", 1]]);
  assert.equal(await allTags(catalog, store, 10, "release/"), [["release/2024", 1], ["release/2025", 1]]);
  await snaps.deleteSnapshot({ storeId: store, snapshotId: made[0].snapshotId });
  await admin.updateSnapshot({ storeId: store, snapshotId: made[4].snapshotId, tags: ["blue"], updateMask: { paths: ["tags"] } });
  await snaps.deleteSnapshot({ storeId: store, snapshotId: made[5].snapshotId, force: true });
  assert.equal(await allTags(catalog, store), [["blue", 3], ["red", 3], ["release/2025", 1], ["sale", 1]]);
  assert.is((await failureOf(catalog.listTags({ storeId: store, pageToken: "garbage" }))).code, Code.InvalidArgument);
});

test("tag counts stay exact under many concurrent clients adding, removing, replacing, creating and deleting", async (ctx) => {
  const store = "t3";
  const TAGS = ["alpha", "beta", "gamma", "delta", "eps", "zeta"];
  const pool: string[] = [];
  for (let i = 0; i < 40; i++) pool.push((await ctx.snaps.createSnapshot(blob(store, [TAGS[i % 6], TAGS[(i + 1) % 6]]))).snapshot!.snapshotId);
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const pick = <T>(xs: T[]) => xs[rnd(xs.length)];
  const ok = new Set([Code.FailedPrecondition, Code.NotFound]); // a snapshot deleted or purged meanwhile
  const counts = { ops: 0, refused: 0 };
  const client = async (c: Clients, ops: number) => {
    for (let i = 0; i < ops; i++) {
      const id = pick(pool);
      const r = rnd(100);
      try {
        if (r < 35) await c.catalog.addTags({ storeId: store, snapshotId: id, tags: [pick(TAGS), pick(TAGS)] });
        else if (r < 70) await c.catalog.removeTag({ storeId: store, snapshotId: id, tag: pick(TAGS) });
        else if (r < 78) await c.admin.updateSnapshot({ storeId: store, snapshotId: id, tags: [pick(TAGS)], updateMask: { paths: ["tags"] } });
        else if (r < 84) pool.push((await c.snaps.createSnapshot(blob(store, [pick(TAGS), pick(TAGS)]))).snapshot!.snapshotId);
        else if (r < 89) {
          const res = await c.snaps.batchCreateSnapshots({ storeId: store, requests: [1, 2, 3].map(() => ({ ...blob("", [pick(TAGS)]), storeId: "" })) });
          pool.push(...res.results.map((x) => x.snapshot!.snapshotId));
        } else if (r < 96) await c.snaps.deleteSnapshot({ storeId: store, snapshotId: id });
        else await c.snaps.deleteSnapshot({ storeId: store, snapshotId: id, force: true });
        counts.ops++;
      } catch (err) {
        if (!ok.has(ConnectError.from(err).code)) throw err;
        counts.refused++;
      }
    }
  };
  const clients = Array.from({ length: 8 }, () => ctx.connect());
  await Promise.all(clients.flatMap((c) => [client(c, 40), client(c, 40)]));
  assert.ok(counts.ops > 320, `at least half of the operations ran (${counts.ops} ok, ${counts.refused} refused)`);

  // Truth from the snapshots themselves, read through the API (not from the counters).
  const truth = new Map<string, number>();
  let pageToken = "";
  do {
    const page = await ctx.snaps.listSnapshots({ storeId: store, pageSize: 1000, pageToken });
    for (const s of page.snapshots) for (const t of s.tags) truth.set(t, (truth.get(t) ?? 0) + 1);
    pageToken = page.nextPageToken;
  } while (pageToken);
  const expected = [...truth].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  assert.equal(await allTags(ctx.catalog, store, 2), expected);
  const [{ n }] = await ctx.server.services.database.sql`select count(*)::int as n from tag_counts where store_id = ${store} and live_count <= 0`;
  assert.is(n, 0, "no zero or negative counters are left");
  assert.ok((await ctx.audit.verifyAuditChain({ storeId: store })).ok);
});

test.run();
