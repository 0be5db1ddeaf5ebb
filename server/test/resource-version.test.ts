import { fromJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import { CatalogService } from "../../gen/vellum/v1/catalog_service_pb.js";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { VersionService } from "../../gen/vellum/v1/version_service_pb.js";
import { failureOf } from "./support/security-fixtures.js";
import { createTestDatabase, type TestDatabase } from "./support/test-db.js";
import { startTestServer, tempDir, type TestServer } from "./support/test-server.js";

interface Ctx {
  db: TestDatabase;
  dir: ReturnType<typeof tempDir>;
  server: TestServer;
  snaps: Client<typeof SnapshotService>;
  catalog: Client<typeof CatalogService>;
  versions: Client<typeof VersionService>;
}
const test = suite<Ctx>("resource_version, HasSnapshots and Connect GET (real server)");

test.before(async (ctx) => {
  ctx.db = await createTestDatabase();
  ctx.dir = tempDir();
  ctx.server = await startTestServer({ DATABASE_URL: ctx.db.url, VELLUM_DATA_DIR: ctx.dir.path, VELLUM_RATE_WRITE_PER_SEC: "100000", VELLUM_RATE_WRITE_BURST: "100000" });
  const transport = createGrpcTransport({ baseUrl: ctx.server.baseUrl });
  ctx.snaps = createClient(SnapshotService, transport);
  ctx.catalog = createClient(CatalogService, transport);
  ctx.versions = createClient(VersionService, transport);
});
test.after(async (ctx) => {
  await ctx.server.stop();
  await ctx.db.drop();
  ctx.dir.remove();
});

const doc = (n: number) => ({ case: "json" as const, value: fromJson(ValueSchema, { n }) });

test("one snapshot per resource_version: ALREADY_EXISTS after; a soft-deleted one keeps it, a purged one frees it", async ({ snaps }) => {
  const key = { storeId: "rv1", resourceType: "project", resourceId: "p-1" };
  const first = (await snaps.createSnapshot({ ...key, resourceVersion: "7", payload: doc(1) })).snapshot!;
  assert.is(first.resourceVersion, "7");
  const again = await failureOf(snaps.createSnapshot({ ...key, resourceVersion: "7", payload: doc(2) }));
  assert.is(again.code, Code.AlreadyExists);
  assert.match(again.rawMessage, /project\/p-1 .*resource_version "7"/);
  // Other resources and other versions are independent.
  await snaps.createSnapshot({ ...key, resourceId: "p-2", resourceVersion: "7", payload: doc(3) });
  await snaps.createSnapshot({ ...key, resourceVersion: "8", payload: doc(4) });
  await snaps.deleteSnapshot({ storeId: "rv1", snapshotId: first.snapshotId });
  assert.is((await failureOf(snaps.createSnapshot({ ...key, resourceVersion: "7", payload: doc(5) }))).code, Code.AlreadyExists);
  await snaps.deleteSnapshot({ storeId: "rv1", snapshotId: first.snapshotId, force: true });
  const reused = (await snaps.createSnapshot({ ...key, resourceVersion: "7", payload: doc(6) })).snapshot!;
  assert.is(reused.resourceVersion, "7");

  const bad = await failureOf(snaps.createSnapshot({ storeId: "rv1", resourceType: "project", resourceVersion: "1", payload: doc(7) }));
  assert.is(bad.code, Code.InvalidArgument);
  assert.equal(bad.findDetails(BadRequestSchema)[0].fieldViolations.map((v) => v.field), ["resource_version"]);
  const spaces = await failureOf(snaps.createSnapshot({ ...key, resourceVersion: "has space", payload: doc(8) }));
  assert.is(spaces.code, Code.InvalidArgument);
});

test("UploadSnapshot takes header.resource_version under the same rule", async ({ snaps }) => {
  const upload = (data: string) =>
    snaps.uploadSnapshot(
      (async function* () {
        const header = { storeId: "rv2", resourceType: "dump", resourceId: "db-1", snapshotType: SnapshotType.DB, resourceVersion: "2024-06-01" };
        yield { msg: { case: "header" as const, value: header } };
        yield { msg: { case: "chunk" as const, value: Buffer.from(data) } };
      })(),
    );
  assert.is((await upload("one")).snapshot!.resourceVersion, "2024-06-01");
  assert.is((await failureOf(upload("two"))).code, Code.AlreadyExists);
});

test("concurrent creates of one resource_version (single and batched): exactly one wins, versions stay dense", async ({ snaps, versions }) => {
  const key = { storeId: "rv3", resourceType: "project", resourceId: "race" };
  const singles = Array.from({ length: 24 }, (_, i) => snaps.createSnapshot({ ...key, resourceVersion: "42", payload: doc(i) }).then((r) => r.snapshot!));
  const others = Array.from({ length: 6 }, (_, i) => snaps.createSnapshot({ ...key, resourceVersion: `other-${i}`, payload: doc(100 + i) }).then((r) => r.snapshot!));
  const batches = Array.from({ length: 3 }, (_, b) =>
    snaps
      .batchCreateSnapshots({
        storeId: key.storeId,
        requests: [
          { ...key, storeId: "", resourceVersion: "42", payload: doc(200 + b) },
          { ...key, storeId: "", resourceVersion: `batch-${b}`, payload: doc(300 + b) },
        ],
      })
      .then((r) => r.results),
  );
  const singleResults = await Promise.allSettled(singles);
  const otherResults = await Promise.all(others);
  const batchResults = (await Promise.all(batches)).flat();

  const won42 = [
    ...singleResults.filter((r) => r.status === "fulfilled").map((r) => (r as PromiseFulfilledResult<{ snapshotId: string }>).value.snapshotId),
    ...batchResults.filter((r) => r.snapshot?.resourceVersion === "42").map((r) => r.snapshot!.snapshotId),
  ];
  assert.is(won42.length, 1, "exactly one create of version 42 succeeded");
  for (const r of singleResults) if (r.status === "rejected") assert.is(ConnectError.from(r.reason).code, Code.AlreadyExists);
  const lost = batchResults.filter((r) => r.status!.code !== 0);
  for (const r of lost) assert.is(r.status!.code, Code.AlreadyExists);
  assert.is(batchResults.filter((r) => r.snapshot?.resourceVersion.startsWith("batch-")).length, 3);

  const created = 1 + otherResults.length + 3;
  const list = await versions.listVersions({ ...key, pageSize: 100 });
  assert.equal(list.versions.map((v) => v.version), Array.from({ length: created }, (_, i) => BigInt(i + 1)), "dense versions, no gaps");
  const rows = await snaps.listSnapshots({ storeId: key.storeId, resourceId: "race", pageSize: 100 });
  assert.is(rows.snapshots.filter((s) => s.resourceVersion === "42").length, 1);
  assert.is(rows.totalSize, created);
});

test("HasSnapshots: a boolean and the newest live snapshot, optionally of one resource_version", async ({ snaps, catalog }) => {
  const key = { storeId: "rv4", resourceType: "project", resourceId: "h-1" };
  assert.equal(await catalog.hasSnapshots(key).then((r) => [r.hasSnapshots, r.latestSnapshotId]), [false, ""]);
  const a = (await snaps.createSnapshot({ ...key, resourceVersion: "1", payload: doc(1) })).snapshot!;
  const b = (await snaps.createSnapshot({ ...key, resourceVersion: "2", payload: doc(2) })).snapshot!;
  assert.equal(await catalog.hasSnapshots(key).then((r) => [r.hasSnapshots, r.latestSnapshotId]), [true, b.snapshotId]);
  assert.is((await catalog.hasSnapshots({ ...key, resourceVersion: "1" })).latestSnapshotId, a.snapshotId);
  assert.is((await catalog.hasSnapshots({ ...key, resourceVersion: "3" })).hasSnapshots, false);
  await snaps.deleteSnapshot({ storeId: key.storeId, snapshotId: b.snapshotId });
  assert.is((await catalog.hasSnapshots(key)).latestSnapshotId, a.snapshotId, "deleted snapshots do not count");
  assert.is((await catalog.hasSnapshots({ ...key, resourceVersion: "2" })).hasSnapshots, false);
  assert.is((await failureOf(catalog.hasSnapshots({ ...key, resourceId: "" }))).code, Code.InvalidArgument);
});

test("Connect GET serves GetLatestVersion and HasSnapshots (NO_SIDE_EFFECTS); a mutation is refused over GET", async ({ server, snaps }) => {
  const key = { storeId: "rv5", resourceType: "page", resourceId: "home" };
  const made = (await snaps.createSnapshot({ ...key, payload: doc(1) })).snapshot!;
  const get = (path: string, message: unknown) =>
    fetch(`${server.baseUrl}/${path}?connect=v1&encoding=json&message=${encodeURIComponent(JSON.stringify(message))}`);
  const latest = await get("vellum.v1.VersionService/GetLatestVersion", key);
  assert.is(latest.status, 200);
  const body = (await latest.json()) as { version: { version: string; snapshotId: string } };
  assert.equal([body.version.version, body.version.snapshotId], ["1", made.snapshotId]);
  const has = await get("vellum.v1.CatalogService/HasSnapshots", key);
  assert.is(has.status, 200);
  assert.equal(await has.json(), { hasSnapshots: true, latestSnapshotId: made.snapshotId });
  const missing = await get("vellum.v1.VersionService/GetLatestVersion", { ...key, resourceId: "nope" });
  assert.is(missing.status, 404);
  const mutation = await get("vellum.v1.CatalogService/AddTags", { storeId: "rv5", snapshotId: made.snapshotId, tags: ["x"] });
  assert.is(mutation.status, 405);
  assert.equal((await snaps.getSnapshot({ storeId: "rv5", snapshotId: made.snapshotId })).snapshot!.tags, []);
});

test.run();
