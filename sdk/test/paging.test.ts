/**
 * Async-iterator pagination against the real server over both Node transports: snapshots, versions
 * and jobs across more than two pages, and the pages() variant.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  createVellumClient,
  listJobs,
  listSnapshots,
  listVersions,
  SnapshotType,
  type VellumClient,
} from "../src/index.js";
import { NODE_TRANSPORTS, startSdkServer, type NamedTransport, type SdkServer } from "./support/sdk-server.js";

interface Ctx {
  srv: SdkServer;
  client: VellumClient;
  /** Snapshot ids of resource (product, p-1), oldest first. */
  ids: string[];
  /** The store's newest snapshot (a config blob). */
  newest: string;
  /** ListSnapshots requests sent so far. */
  listCalls: number;
}

const N = 7;

function pagingSuite(t: NamedTransport) {
  const test = suite<Ctx>(`sdk pagination: ${t.name}`, {} as Ctx);

  test.before(async (ctx) => {
    ctx.srv = await startSdkServer();
    ctx.listCalls = 0;
    ctx.client = createVellumClient(
      t.make(ctx.srv.baseUrl, [
        (next) => async (req) => {
          if (req.method.name === "ListSnapshots") ctx.listCalls++;
          return next(req);
        },
      ]),
    );
    ctx.ids = [];
    for (let i = 0; i < N; i++) {
      const r = await ctx.client.snapshots.createSnapshot({
        storeId: "st",
        resourceType: "product",
        resourceId: "p-1",
        snapshotType: SnapshotType.JSON,
        payload: { case: "data", value: new TextEncoder().encode(JSON.stringify({ i })) },
        metadata: { commitMessage: `edit ${i}` },
      });
      ctx.ids.push(r.snapshot!.snapshotId);
    }
    // Noise the filters must exclude.
    const noise = await ctx.client.snapshots.createSnapshot({
      storeId: "st",
      resourceType: "config",
      snapshotType: SnapshotType.BLOB,
      payload: { case: "data", value: new Uint8Array([1, 2, 3]) },
    });
    ctx.newest = noise.snapshot!.snapshotId;
  });
  test.after(async (ctx) => {
    await ctx.srv?.close();
  });

  test("listSnapshots yields every matching snapshot newest first across pages", async (ctx) => {
    const seen: string[] = [];
    for await (const s of listSnapshots(ctx.client, { storeId: "st", resourceType: "product", pageSize: 3 })) seen.push(s.snapshotId);
    assert.equal(seen, [...ctx.ids].reverse());
  });

  test("pages() yields whole pages with tokens and total size", async (ctx) => {
    const pages = [];
    for await (const p of listSnapshots(ctx.client, { storeId: "st", resourceType: "product", pageSize: 3 }).pages()) pages.push(p);
    assert.equal(
      pages.map((p) => p.snapshots.length),
      [3, 3, 1],
    );
    assert.ok(pages.every((p) => p.totalSize === N));
    assert.ok(pages[0].nextPageToken && pages[1].nextPageToken);
    assert.is(pages[2].nextPageToken, "");
  });

  test("iteration is lazy: breaking early fetches no further pages, and each iteration restarts", async (ctx) => {
    const paged = listSnapshots(ctx.client, { storeId: "st", pageSize: 2 });
    const before = ctx.listCalls;
    assert.is(ctx.listCalls, before, "creating the iterable sends nothing");
    for await (const s of paged) {
      assert.is(s.snapshotId, ctx.newest, "newest first");
      break;
    }
    assert.is(ctx.listCalls, before + 1, "one page fetched for the first item");
    let all = 0;
    for await (const _ of paged) all++;
    assert.is(all, N + 1);
    assert.is(ctx.listCalls, before + 1 + Math.ceil((N + 1) / 2), "a second iteration starts over");
  });

  test("listVersions yields versions 1..N ascending across pages", async (ctx) => {
    const versions = [];
    for await (const v of listVersions(ctx.client, { storeId: "st", resourceType: "product", resourceId: "p-1", pageSize: 2 })) {
      versions.push(v);
    }
    assert.equal(
      versions.map((v) => Number(v.version)),
      [1, 2, 3, 4, 5, 6, 7],
    );
    assert.equal(
      versions.map((v) => v.snapshotId),
      ctx.ids,
    );
    assert.is(versions[2].message, "edit 2");
    const pages = [];
    for await (const p of listVersions(ctx.client, { storeId: "st", resourceType: "product", resourceId: "p-1", pageSize: 3 }).pages()) {
      pages.push(p.versions.length);
    }
    assert.equal(pages, [3, 3, 1]);
  });

  test("listJobs yields the VERIFY_SNAPSHOT jobs across pages", async (ctx) => {
    const jobIds = [];
    for (const id of ctx.ids.slice(0, 3)) {
      const r = await ctx.client.snapshots.verifySnapshot({ storeId: "st", snapshotId: id });
      jobIds.push(r.job!.jobId);
    }
    const seen = [];
    for await (const j of listJobs(ctx.client, { storeId: "st", pageSize: 2 })) seen.push(j.jobId);
    assert.equal([...seen].sort(), [...jobIds].sort());
  });

  test("an empty result yields nothing and one empty page", async (ctx) => {
    const items = [];
    for await (const s of listSnapshots(ctx.client, { storeId: "nobody" })) items.push(s);
    assert.is(items.length, 0);
    const pages = [];
    for await (const p of listSnapshots(ctx.client, { storeId: "nobody" }).pages()) pages.push(p);
    assert.is(pages.length, 1);
    assert.is(pages[0].totalSize, 0);
  });

  return test;
}

for (const t of NODE_TRANSPORTS) pagingSuite(t).run();
