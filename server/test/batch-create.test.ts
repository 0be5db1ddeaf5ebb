import { fromJson } from "@bufbuild/protobuf";
import { anyUnpack, ValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, createClient } from "@connectrpc/connect";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { BadRequestSchema, ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { AuditService } from "../../gen/vellum/v1/audit_service_pb.js";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CreateSnapshotRequestSchema } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { createMemoryHarness, type MemoryHarness } from "./support/memory-client.js";
import { expectError } from "./support/expect-error.js";

const test = suite<{ h: MemoryHarness }>("BatchCreateSnapshots (in-memory transport, real Postgres)");

test.before(async (ctx) => {
  ctx.h = await createMemoryHarness();
});
test.after(async (ctx) => {
  await ctx.h.close();
});

type Item = MessageInitShape<typeof CreateSnapshotRequestSchema>;
const json = (v: unknown) => ({ case: "json" as const, value: fromJson(ValueSchema, v as never) });
/** A product item; `extra` sets or overrides CreateSnapshotRequest fields. */
const product = (id: string, extra: Record<string, unknown> = {}): Item =>
  ({ resourceType: "product", resourceId: id, payload: json({ sku: id, name: `Chair ${id}`, price: 10 }), ...extra }) as Item;

async function download(h: MemoryHarness, storeId: string, snapshotId: string): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const m of h.snapshots.downloadSnapshot({ storeId, snapshotId })) parts.push(m.chunk);
  return Buffer.concat(parts);
}

const auditHead = async (h: MemoryHarness, storeId: string) =>
  (await createClient(AuditService, h.transport).verifyAuditChain({ storeId })).headSeq;

test("non-atomic: valid items are created, each bad item reports its own status", async ({ h }) => {
  const store = "b1";
  const requests: Item[] = [
    product("p1", { resourceVersion: "1" }),
    product("p2", { tags: ["bad tag"] }),
    product("p1", { resourceVersion: "2", metadata: { commitMessage: "second" } }),
    product("p1", { resourceVersion: "1" }), // the same version as item 0
    { resourceType: "product", resourceId: "p3", snapshotType: SnapshotType.JSON, payload: { case: "data", value: Buffer.from("{not json") } },
    product("p4", { storeId: "another-store" }),
    product("p5", { idempotencyKey: "k1" }),
    { resourceType: "config", payload: { case: "data", value: Buffer.from("raw bytes") }, snapshotType: SnapshotType.BLOB, tags: ["raw"] },
  ];
  const { results } = await h.snapshots.batchCreateSnapshots({ storeId: store, requests });
  assert.is(results.length, requests.length);
  const codes = results.map((r) => r.status!.code);
  assert.equal(codes, [0, Code.InvalidArgument, 0, Code.AlreadyExists, Code.InvalidArgument, Code.InvalidArgument, Code.InvalidArgument, 0]);
  const fields = (i: number) =>
    results[i].status!.details.flatMap((d) => anyUnpack(d, BadRequestSchema)?.fieldViolations.map((v) => v.field) ?? []);
  assert.equal(fields(1), ["requests[1].tags[0]"]);
  assert.equal(fields(4), ["requests[4].data"]);
  assert.equal(fields(5), ["requests[5].store_id"]);
  assert.equal(fields(6), ["requests[6].idempotency_key"]);
  assert.match(results[3].status!.message, /requests\[3\].*resource_version "1"/);
  assert.equal(results[3].status!.details.map((d) => anyUnpack(d, ErrorInfoSchema)?.reason), ["RESOURCE_VERSION_EXISTS"]);
  for (const i of [1, 3, 4, 5, 6]) assert.is(results[i].snapshot, undefined);

  const [a, b, raw] = [results[0].snapshot!, results[2].snapshot!, results[7].snapshot!];
  assert.equal([a.version, b.version, raw.version], [1n, 2n, 0n], "consecutive versions in request order");
  assert.equal([a.resourceVersion, b.resourceVersion], ["1", "2"]);
  assert.is(a.storeId, store);
  const versions = await h.versions.listVersions({ storeId: store, resourceType: "product", resourceId: "p1" });
  assert.equal(versions.versions.map((v) => [v.version, v.snapshotId, v.message]), [[1n, a.snapshotId, ""], [2n, b.snapshotId, "second"]]);
  assert.equal(JSON.parse((await download(h, store, a.snapshotId)).toString()), { sku: "p1", name: "Chair p1", price: 10 });
  assert.equal((await download(h, store, raw.snapshotId)).toString(), "raw bytes");
  const listed = await h.snapshots.listSnapshots({ storeId: store });
  assert.is(listed.totalSize, 3);
  // The next single create continues the resource's versions.
  const next = await h.snapshots.createSnapshot({ storeId: store, ...product("p1") });
  assert.is(next.snapshot!.version, 3n);
});

test("atomic: one bad item fails the whole call, names the item, and creates nothing", async ({ h }) => {
  const store = "b2";
  await h.snapshots.batchCreateSnapshots({ storeId: store, atomic: true, requests: [product("p1", { resourceVersion: "v1" })] });
  const headBefore = await auditHead(h, store);

  const invalid = await expectError(
    h.snapshots.batchCreateSnapshots({ storeId: store, atomic: true, requests: [product("p1"), product("p2"), product("p3", { tags: ["ok", "no spaces"] })] }),
  );
  assert.is(invalid.code, Code.InvalidArgument);
  assert.equal(invalid.findDetails(BadRequestSchema)[0].fieldViolations.map((v) => v.field), ["requests[2].tags[1]"]);

  const conflict = await expectError(
    h.snapshots.batchCreateSnapshots({
      storeId: store,
      atomic: true,
      requests: [product("p9"), product("p1", { resourceVersion: "v2" }), product("p1", { resourceVersion: "v1" }), product("p7")],
    }),
  );
  assert.is(conflict.code, Code.AlreadyExists);
  assert.match(conflict.rawMessage, /^requests\[2\]: resource product\/p1 already has a snapshot with resource_version "v1"/);

  assert.is((await h.snapshots.listSnapshots({ storeId: store })).totalSize, 1, "nothing was created");
  assert.is(await auditHead(h, store), headBefore, "no audit event was written");
  const hs = await h.services.database.sql`select resource_id, latest_version from resources where store_id = ${store} order by 1`;
  assert.equal(hs.map((r) => [r.resource_id, Number(r.latest_version)]), [["p1", 1]], "no version was allocated");
  const next = await h.snapshots.createSnapshot({ storeId: store, ...product("p1") });
  assert.is(next.snapshot!.version, 2n);
});

test("a batch's creations are consecutive links of the audit chain, each visible in GetSnapshotAudit", async ({ h }) => {
  const store = "b3";
  const audit = createClient(AuditService, h.transport);
  await h.snapshots.createSnapshot({ storeId: store, ...product("first") });
  const requests = Array.from({ length: 250 }, (_, i) => product(`p${i % 40}`, { tags: [`t${i % 7}`], metadata: { commitMessage: `change ${i}` } }));
  const { results } = await h.snapshots.batchCreateSnapshots({ storeId: store, atomic: true, requests });
  assert.ok(results.every((r) => r.status!.code === 0 && r.snapshot));
  const verified = await audit.verifyAuditChain({ storeId: store });
  assert.ok(verified.ok, verified.reason);
  assert.is(verified.checked, 251n);
  const events = await audit.getSnapshotAudit({ storeId: store, snapshotId: results[123].snapshot!.snapshotId });
  assert.equal(events.events.map((e) => e.action), ["snapshot.create"]);
  // Per resource the versions are dense and in request order.
  const p3 = results.map((r) => r.snapshot!).filter((s) => s.resourceId === "p3");
  assert.equal(p3.map((s) => s.version), p3.map((_, i) => BigInt(i + 1)));
});

test("identical payloads are stored once; encrypted items are encrypted and read back", async ({ h }) => {
  const store = "b4";
  const doc = json({ same: "document", n: 1 });
  const { results } = await h.snapshots.batchCreateSnapshots({
    storeId: store,
    requests: [
      { resourceType: "doc", payload: doc },
      { resourceType: "doc", payload: doc },
      { resourceType: "doc", payload: doc, encrypt: true },
      { resourceType: "doc", payload: { case: "data", value: new Uint8Array(200_000).fill(7) }, snapshotType: SnapshotType.BLOB },
    ],
  });
  const [a, b, enc, big] = results.map((r) => r.snapshot!);
  assert.is(a.sha256, b.sha256);
  assert.ok(a.storedSize > 0n);
  assert.is(b.storedSize, 0n, "the second copy stores nothing new");
  assert.ok(enc.encrypted && enc.encryption!.algorithm !== "");
  assert.is((await download(h, store, enc.snapshotId)).toString(), '{"same":"document","n":1}');
  assert.ok((await download(h, store, big.snapshotId)).equals(Buffer.alloc(200_000, 7)), "a multi-chunk item reads back");
  const [{ n }] = await h.services.database.sql`select count(*)::int as n from packs where store_id = ${store}`;
  assert.is(n, 1, "one pack for the whole batch");
});

test("bounds: 1 to 1000 items, 8 MiB of payloads; the batch's store only", async ({ h }) => {
  const empty = await expectError(h.snapshots.batchCreateSnapshots({ storeId: "b5", requests: [] }));
  assert.is(empty.code, Code.InvalidArgument);
  const many = await expectError(h.snapshots.batchCreateSnapshots({ storeId: "b5", requests: Array.from({ length: 1001 }, (_, i) => product(`p${i}`)) }));
  assert.is(many.code, Code.InvalidArgument);
  assert.equal(many.findDetails(BadRequestSchema)[0].fieldViolations.map((v) => v.field), ["requests"]);
  const big = { case: "data" as const, value: new Uint8Array(3 * 1024 * 1024) };
  const heavy = await expectError(
    h.snapshots.batchCreateSnapshots({ storeId: "b5", requests: [1, 2, 3].map(() => ({ resourceType: "blob", payload: big, snapshotType: SnapshotType.BLOB })) }),
  );
  assert.is(heavy.code, Code.ResourceExhausted);
  const nul = await expectError(
    h.snapshots.batchCreateSnapshots({
      storeId: "b5",
      atomic: true,
      requests: [product("p", { metadata: { commitMessage: "a\u0000b" } }), product("q", { labels: { k: "nul\u0000" } })],
    }),
  );
  assert.is(nul.code, Code.InvalidArgument, "NUL characters never reach PostgreSQL");
  assert.equal(nul.findDetails(BadRequestSchema)[0].fieldViolations.map((v) => v.field), ["requests[0].metadata.commit_message", "requests[1].labels"]);
  const other = await expectError(h.snapshots.batchCreateSnapshots({ storeId: "b5", atomic: true, requests: [product("p", { storeId: "b6" })] }));
  assert.is(other.code, Code.InvalidArgument);
  assert.is((await h.snapshots.listSnapshots({ storeId: "b6" })).totalSize, 0);
  assert.is((await h.snapshots.listSnapshots({ storeId: "b5" })).totalSize, 0);
});

test.run();
