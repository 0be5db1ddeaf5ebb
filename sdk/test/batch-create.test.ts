/**
 * batchCreateSnapshots against the real server: splitting at 1000 items and at 8 MiB of payloads,
 * results in input order with consecutive versions, per-item statuses as typed errors, atomic
 * batches, a failed call mid-way; and resource_version through the create and upload helpers.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  BatchCreateError,
  batchCreateSnapshots,
  createSnapshotOnce,
  createVellumClient,
  isVellumError,
  jsonPayload,
  MAX_BATCH_ITEMS,
  ResourceVersionExistsError,
  SnapshotType,
  uploadSnapshot,
  uploadSnapshotIncremental,
  VellumError,
  type VellumClient,
} from "../src/node.js";
import { NODE_TRANSPORTS, startSdkServer, type SdkServer } from "./support/sdk-server.js";

interface Ctx {
  srv: SdkServer;
  client: VellumClient;
  /** BatchCreateSnapshots calls sent so far, with their item counts. */
  batches: number[];
  /** When set, the batch call with this number (1-based) fails with UNAVAILABLE. */
  failCall?: number;
}
const STORE = "batch";
const test = suite<Ctx>("sdk: batchCreateSnapshots and resource_version helpers (real server)", {} as Ctx);

test.before(async (ctx) => {
  ctx.srv = await startSdkServer();
  ctx.batches = [];
  ctx.client = createVellumClient(
    NODE_TRANSPORTS[0].make(ctx.srv.baseUrl, [
      (next) => async (req) => {
        if (req.method.name === "BatchCreateSnapshots") {
          ctx.batches.push((req.message as unknown as { requests: unknown[] }).requests.length);
          if (ctx.failCall === ctx.batches.length) throw new ConnectError("injected outage", Code.Unavailable);
        }
        return next(req);
      },
    ]),
    { retry: false },
  );
});
test.after(async (ctx) => {
  await ctx.srv?.close();
});

test("2,500 items go in three calls; results in input order; one resource's versions are consecutive", async (ctx) => {
  ctx.batches.length = 0;
  const items = Array.from({ length: 2500 }, (_, i) => ({ resourceType: "sku", resourceId: i % 2 ? "odd" : `s-${i}`, payload: jsonPayload({ i }) }));
  const progress: number[] = [];
  const results = await batchCreateSnapshots(ctx.client, STORE, items, { onProgress: (done) => progress.push(done) });
  assert.equal(ctx.batches, [MAX_BATCH_ITEMS, MAX_BATCH_ITEMS, 500]);
  assert.equal(progress, [1000, 2000, 2500]);
  assert.equal(results.map((r) => r.index), items.map((_, i) => i));
  assert.ok(results.every((r) => r.snapshot && !r.error));
  const odd = results.filter((r) => r.index % 2).map((r) => Number(r.snapshot!.version));
  assert.equal(odd, odd.map((_, i) => i + 1), "versions follow the input order across calls");
});

test("payloads split at 8 MiB; an item too large for any batch fails alone without a call", async (ctx) => {
  ctx.batches.length = 0;
  const mib = (n: number) => ({ resourceType: "blob", snapshotType: SnapshotType.BLOB, payload: { case: "data" as const, value: new Uint8Array(n * 1024 * 1024).fill(n) } });
  const items = [mib(3), mib(3), mib(3), mib(9), mib(1)];
  const results = await batchCreateSnapshots(ctx.client, STORE, items);
  assert.equal(ctx.batches, [2, 2], "3+3 MiB, then 3+1 MiB; the 9 MiB item is never sent");
  assert.equal(results.map((r) => (r.error ? r.error.code : "ok")), ["ok", "ok", "ok", Code.ResourceExhausted, "ok"]);
  assert.is(results[3].error!.reason, "BATCH_TOO_LARGE");
  assert.is(results[4].snapshot!.size, BigInt(1024 * 1024));
});

test("per-item statuses become typed errors with item-relative field violations", async (ctx) => {
  await ctx.client.snapshots.createSnapshot({ storeId: STORE, resourceType: "sku", resourceId: "taken", resourceVersion: "v1", payload: jsonPayload({}) });
  const results = await batchCreateSnapshots(ctx.client, STORE, [
    { resourceType: "sku", resourceId: "a", payload: jsonPayload({ ok: true }) },
    { resourceType: "sku", resourceId: "b", tags: ["bad tag!"], payload: jsonPayload({}) },
    { resourceType: "sku", resourceId: "taken", resourceVersion: "v1", payload: jsonPayload({}) },
  ]);
  assert.ok(results[0].snapshot);
  const bad = results[1].error!;
  assert.equal([bad.code, bad.fieldViolations.map((v) => v.field)], [Code.InvalidArgument, ["tags[0]"]]);
  assert.instance(results[2].error, ResourceVersionExistsError);
  assert.is(results[2].error!.code, Code.AlreadyExists);
});

test("atomic: one call or a RangeError before sending; a bad item fails the whole call", async (ctx) => {
  ctx.batches.length = 0;
  const many = Array.from({ length: MAX_BATCH_ITEMS + 1 }, () => ({ resourceType: "x", payload: jsonPayload(1) }));
  await batchCreateSnapshots(ctx.client, STORE, many, { atomic: true }).then(
    () => assert.unreachable("too many for one call"),
    (e) => assert.instance(e, RangeError),
  );
  assert.equal(ctx.batches, [], "nothing sent");
  const err = await batchCreateSnapshots(ctx.client, STORE, [{ resourceType: "x", payload: jsonPayload(1) }, { resourceType: "", payload: jsonPayload(2) }], { atomic: true }).then(
    () => assert.unreachable("atomic batch with a bad item"),
    (e: unknown) => e,
  );
  assert.ok(isVellumError(err, Code.InvalidArgument));
  assert.equal((err as VellumError).fieldViolations.map((v) => v.field), ["requests[1].resource_type"]);
  const { snapshots } = await ctx.client.snapshots.listSnapshots({ storeId: STORE, resourceType: "x" });
  assert.is(snapshots.length, 0, "nothing created");
});

test("a failed call throws BatchCreateError with the results of the calls before it", async (ctx) => {
  ctx.batches.length = 0;
  ctx.failCall = 2;
  try {
    const items = Array.from({ length: 1500 }, (_, i) => ({ resourceType: "outage", resourceId: `o-${i}`, payload: jsonPayload(i) }));
    const err = (await batchCreateSnapshots(ctx.client, STORE, items).then(
      () => assert.unreachable("the second call fails"),
      (e: unknown) => e,
    )) as BatchCreateError;
    assert.instance(err, BatchCreateError);
    assert.equal([err.code, err.failedAt, err.results.length], [Code.Unavailable, 1000, 1000]);
    assert.ok(err.results.every((r, i) => r.index === i && r.snapshot));
  } finally {
    ctx.failCall = undefined;
  }
});

test("resource_version through createSnapshotOnce, uploadSnapshot and the incremental upload", async ({ client }) => {
  const req = { storeId: STORE, resourceType: "doc", resourceId: "d1", resourceVersion: "2025-06-01T10:00:00Z#7", payload: jsonPayload({ v: 7 }) };
  const made = await createSnapshotOnce(client, req);
  const again = await createSnapshotOnce(client, req);
  assert.equal([made.created, again.created, again.snapshot.snapshotId], [true, false, made.snapshot.snapshotId]);
  assert.is(made.snapshot.resourceVersion, req.resourceVersion);

  const header = { storeId: STORE, resourceType: "dump", resourceId: "orders", snapshotType: SnapshotType.DB, resourceVersion: "lsn-100" };
  const streamed = await uploadSnapshot(client, header, new Uint8Array(200_000).fill(1));
  assert.is(streamed.resourceVersion, "lsn-100");
  const dup = await uploadSnapshot(client, header, new Uint8Array(10)).catch((e: unknown) => e);
  assert.instance(dup, ResourceVersionExistsError);

  const source = async function* () {
    yield new Uint8Array(300_000).fill(2);
  };
  const inc = await uploadSnapshotIncremental(client.uploads, { ...header, resourceVersion: "lsn-200" }, source());
  assert.is(inc.snapshot.resourceVersion, "lsn-200");
  const incDup = await uploadSnapshotIncremental(client.uploads, { ...header, resourceVersion: "lsn-200" }, source()).catch((e: unknown) => e);
  assert.instance(incDup, ResourceVersionExistsError);
});

test.run();
