import { create, fromJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { createHash } from "node:crypto";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import { SnapshotState, SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { createMemoryHarness, type MemoryHarness } from "./support/memory-client.js";
import { expectError } from "./support/expect-error.js";

const test = suite<{ h: MemoryHarness }>("rpc: snapshots (in-memory transport, real Postgres)");

test.before(async (ctx) => {
  ctx.h = await createMemoryHarness();
});
test.after(async (ctx) => {
  await ctx.h.close();
});

test("CreateSnapshot with a JSON payload stores compact JSON and appends version 1, 2", async ({ h }) => {
  const doc = { sku: "A-1", name: "Chair", price: 12.5, tags: ["x"] };
  const viaJson = await h.snapshots.createSnapshot({
    storeId: "store-a",
    resourceType: "product",
    resourceId: "p-1",
    payload: { case: "json", value: fromJson(ValueSchema, { name: "Stuhl ü", n: [1, 2] }) },
  });
  assert.is(viaJson.snapshot!.snapshotType, SnapshotType.JSON);
  assert.is(viaJson.snapshot!.size, BigInt(Buffer.byteLength(JSON.stringify({ name: "Stuhl ü", n: [1, 2] }))));
  assert.is(viaJson.snapshot!.version, 1n);
  const first = await h.snapshots.createSnapshot({
    storeId: "store-a",
    resourceType: "product",
    resourceId: "p-2",
    payload: { case: "data", value: Buffer.from(JSON.stringify(doc)) },
    snapshotType: SnapshotType.JSON,
    tags: ["nightly", "nightly", "eu"],
    labels: { env: "prod", team: { name: "pim" } },
    metadata: { commitMessage: "first", channel: "web", locale: "en-GB", jobId: "job-7" },
  });
  const s = first.snapshot!;
  assert.is(s.version, 1n);
  assert.is(s.size, BigInt(JSON.stringify(doc).length));
  assert.is(s.sha256, createHash("sha256").update(JSON.stringify(doc)).digest("hex"));
  assert.equal(s.tags, ["nightly", "eu"]);
  assert.is(s.state, SnapshotState.ACTIVE);
  assert.equal(s.labels, { env: "prod", team: { name: "pim" } });
  const second = await h.snapshots.createSnapshot({
    storeId: "store-a",
    resourceType: "product",
    resourceId: "p-2",
    payload: { case: "data", value: Buffer.from("{}") },
    snapshotType: SnapshotType.JSON,
  });
  assert.is(second.snapshot!.version, 2n);
  const got = await h.snapshots.getSnapshot({ storeId: "store-a", snapshotId: s.snapshotId });
  assert.is(got.snapshot!.etag, s.etag);
});

test("invalid fields give INVALID_ARGUMENT with one field violation per bad field", async ({ h }) => {
  const err = await expectError(
    h.snapshots.createSnapshot({
      storeId: "bad store!",
      resourceType: "",
      tags: ["ok", "not ok"],
      payload: { case: "data", value: new Uint8Array([1]) },
      snapshotType: SnapshotType.BLOB,
      ttlDays: -1,
    }),
  );
  assert.is(err.code, Code.InvalidArgument);
  const [bad] = err.findDetails(BadRequestSchema);
  const fields = bad.fieldViolations.map((v) => v.field).sort();
  assert.equal(fields, ["resource_type", "store_id", "tags[1]", "ttl_days"]);
});

test("JSON snapshots must contain JSON; payload is required", async ({ h }) => {
  const notJson = await expectError(
    h.snapshots.createSnapshot({
      storeId: "s",
      resourceType: "product",
      snapshotType: SnapshotType.JSON,
      payload: { case: "data", value: Buffer.from("{oops") },
    }),
  );
  assert.is(notJson.code, Code.InvalidArgument);
  assert.match(notJson.rawMessage, /data/);
  const emptyValue = await expectError(
    h.snapshots.createSnapshot({ storeId: "s", resourceType: "product", payload: { case: "json", value: create(ValueSchema) } }),
  );
  assert.is(emptyValue.code, Code.InvalidArgument);
  assert.match(emptyValue.rawMessage, /json/);
  const none = await expectError(h.snapshots.createSnapshot({ storeId: "s", resourceType: "product", snapshotType: SnapshotType.BLOB }));
  assert.is(none.code, Code.InvalidArgument);
  assert.match(none.rawMessage, /payload/);
});

test("unknown snapshot is NOT_FOUND; malformed id is INVALID_ARGUMENT; other stores see nothing", async ({ h }) => {
  const missing = await expectError(h.snapshots.getSnapshot({ storeId: "s", snapshotId: "01900000-0000-7000-8000-000000000000" }));
  assert.is(missing.code, Code.NotFound);
  const malformed = await expectError(h.snapshots.getSnapshot({ storeId: "s", snapshotId: "nope" }));
  assert.is(malformed.code, Code.InvalidArgument);
  const mine = await h.snapshots.createSnapshot({
    storeId: "store-x",
    resourceType: "cfg",
    snapshotType: SnapshotType.BLOB,
    payload: { case: "data", value: Buffer.from("secret") },
  });
  const other = await expectError(h.snapshots.getSnapshot({ storeId: "store-y", snapshotId: mine.snapshot!.snapshotId }));
  assert.is(other.code, Code.NotFound);
});

test("ListSnapshots pages with keyset tokens, stays stable while rows are added, and filters", async ({ h }) => {
  const ids: string[] = [];
  for (let i = 0; i < 7; i++) {
    const r = await h.snapshots.createSnapshot({
      storeId: "paging",
      resourceType: i % 2 ? "odd" : "even",
      resourceId: `r${i}`,
      snapshotType: SnapshotType.BLOB,
      tags: i === 3 ? ["special"] : [],
      labels: { n: i, group: { even: i % 2 === 0 } },
      metadata: { jobId: i < 2 ? "export-1" : "" },
      payload: { case: "data", value: Buffer.alloc(i * 10, i) },
    });
    ids.push(r.snapshot!.snapshotId);
  }
  const p1 = await h.snapshots.listSnapshots({ storeId: "paging", pageSize: 3 });
  assert.is(p1.snapshots.length, 3);
  assert.is(p1.totalSize, 7);
  assert.equal(p1.snapshots.map((s) => s.snapshotId), ids.slice(4).reverse());
  // A new snapshot arrives mid-paging: it sorts before the cursor and never shifts later pages.
  await h.snapshots.createSnapshot({ storeId: "paging", resourceType: "even", snapshotType: SnapshotType.BLOB, payload: { case: "data", value: Buffer.from("late") } });
  const p2 = await h.snapshots.listSnapshots({ storeId: "paging", pageSize: 3, pageToken: p1.nextPageToken });
  const p3 = await h.snapshots.listSnapshots({ storeId: "paging", pageSize: 3, pageToken: p2.nextPageToken });
  assert.equal([...p2.snapshots, ...p3.snapshots].map((s) => s.snapshotId), ids.slice(0, 4).reverse());
  assert.is(p3.nextPageToken, "");

  const byTag = await h.snapshots.listSnapshots({ storeId: "paging", tag: "special" });
  assert.equal(byTag.snapshots.map((s) => s.snapshotId), [ids[3]]);
  const byType = await h.snapshots.listSnapshots({ storeId: "paging", resourceType: "odd" });
  assert.is(byType.totalSize, 3);
  const byLabels = await h.snapshots.listSnapshots({ storeId: "paging", labelsMatch: { group: { even: true } }, minSize: 30n });
  assert.equal(byLabels.snapshots.map((s) => s.snapshotId), [ids[6], ids[4]]);
  const byJob = await h.snapshots.listSnapshots({ storeId: "paging", jobId: "export-1" });
  assert.equal(byJob.snapshots.map((s) => s.snapshotId).sort(), [ids[0], ids[1]].sort());

  const wrongToken = await expectError(h.snapshots.listSnapshots({ storeId: "paging", tag: "special", pageToken: p1.nextPageToken }));
  assert.is(wrongToken.code, Code.InvalidArgument);
  const garbage = await expectError(h.snapshots.listSnapshots({ storeId: "paging", pageToken: "%%%" }));
  assert.is(garbage.code, Code.InvalidArgument);
});

test("DeleteSnapshot soft-deletes (hidden unless show_deleted), force removes, etag mismatch ABORTED", async ({ h }) => {
  const mk = () =>
    h.snapshots.createSnapshot({ storeId: "del", resourceType: "t", resourceId: "r", snapshotType: SnapshotType.BLOB, payload: { case: "data", value: Buffer.from("x") } });
  const a = (await mk()).snapshot!;
  const stale = await expectError(h.snapshots.deleteSnapshot({ storeId: "del", snapshotId: a.snapshotId, etag: '"nope-9"' }));
  assert.is(stale.code, Code.Aborted);
  const soft = await h.snapshots.deleteSnapshot({ storeId: "del", snapshotId: a.snapshotId, etag: a.etag });
  assert.is(soft.snapshot!.state, SnapshotState.DELETED);
  assert.ok(soft.snapshot!.deleteTime);
  assert.is((await h.snapshots.listSnapshots({ storeId: "del" })).totalSize, 0);
  assert.is((await h.snapshots.listSnapshots({ storeId: "del", showDeleted: true })).totalSize, 1);
  const dl = await expectError((async () => { for await (const _ of h.snapshots.downloadSnapshot({ storeId: "del", snapshotId: a.snapshotId })); })());
  assert.is(dl.code, Code.FailedPrecondition);
  await h.snapshots.deleteSnapshot({ storeId: "del", snapshotId: a.snapshotId, force: true });
  const gone = await expectError(h.snapshots.getSnapshot({ storeId: "del", snapshotId: a.snapshotId }));
  assert.is(gone.code, Code.NotFound);
  const v = await expectError(h.versions.getVersion({ storeId: "del", resourceType: "t", resourceId: "r", version: 1n }));
  assert.is(v.code, Code.NotFound);
});

test("idempotency_key: replay returns the original; a different body is ALREADY_EXISTS; parallel creates make one", async ({ h }) => {
  const req = {
    storeId: "idem",
    resourceType: "t",
    resourceId: "r",
    snapshotType: SnapshotType.BLOB,
    idempotencyKey: "key-1",
    payload: { case: "data" as const, value: Buffer.from("same") },
  };
  const results = await Promise.all(Array.from({ length: 20 }, () => h.snapshots.createSnapshot(req)));
  const unique = new Set(results.map((r) => r.snapshot!.snapshotId));
  assert.is(unique.size, 1);
  assert.is((await h.snapshots.listSnapshots({ storeId: "idem" })).totalSize, 1);
  const other = await expectError(h.snapshots.createSnapshot({ ...req, payload: { case: "data", value: Buffer.from("different") } }));
  assert.is(other.code, Code.AlreadyExists);
});

test("an encrypted snapshot records the id of its store's data key: the same within a store, another in another store", async ({ h }) => {
  const create = (storeId: string, text: string) =>
    h.snapshots.createSnapshot({ storeId, resourceType: "secret", payload: { case: "data", value: Buffer.from(text) }, snapshotType: SnapshotType.BLOB, encrypt: true });
  const a1 = (await create("keys-a", "one")).snapshot!.encryption!;
  const a2 = (await create("keys-a", "two")).snapshot!.encryption!;
  const b = (await create("keys-b", "one")).snapshot!.encryption!;
  assert.is(a1.algorithm, "AES-256-GCM/chunk-v1");
  assert.match(a1.keyId, /^dk-[0-9a-f]{32}$/);
  assert.is(a2.keyId, a1.keyId);
  assert.is.not(b.keyId, a1.keyId);
  const plain = (await h.snapshots.createSnapshot({ storeId: "keys-a", resourceType: "open", payload: { case: "data", value: Buffer.from("x") }, snapshotType: SnapshotType.BLOB })).snapshot!;
  assert.is(plain.encryption, undefined);
});

test.run();
