import { Code, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { createTestDatabase } from "./support/test-db.js";
import { startTestServer, tempDir } from "./support/test-server.js";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { createMemoryHarness, type MemoryHarness } from "./support/memory-client.js";
import { expectError } from "./support/expect-error.js";

/** Size and count limits give precise errors; CreateVersion is idempotent with a key. */
const test = suite<{ h: MemoryHarness }>("limits and CreateVersion idempotency");

test.before(async (ctx) => {
  ctx.h = await createMemoryHarness();
});
test.after(async (ctx) => ctx.h.close());

const base = { storeId: "lim", resourceType: "product", snapshotType: SnapshotType.BLOB, payload: { case: "data" as const, value: new Uint8Array([1]) } };

test("a message over the configured limit is RESOURCE_EXHAUSTED on the real server (gRPC and Connect)", async () => {
  const db = await createTestDatabase();
  const dir = tempDir();
  const server = await startTestServer({ DATABASE_URL: db.url, VELLUM_DATA_DIR: dir.path, VELLUM_MAX_MESSAGE_BYTES: String(256 * 1024) });
  try {
    for (const transport of [createGrpcTransport({ baseUrl: server.baseUrl }), createConnectTransport({ baseUrl: server.baseUrl, httpVersion: "1.1" })]) {
      const client = createClient(SnapshotService, transport);
      const big = await expectError(client.createSnapshot({ ...base, payload: { case: "data", value: new Uint8Array(300 * 1024) } }));
      assert.is(big.code, Code.ResourceExhausted);
      const ok = await client.createSnapshot({ ...base, payload: { case: "data", value: new Uint8Array(200 * 1024) } });
      assert.is(ok.snapshot!.size, BigInt(200 * 1024));
    }
  } finally {
    await server.stop();
    await db.drop();
    dir.remove();
  }
});

test("too many tags, an oversized label set and a huge ttl are INVALID_ARGUMENT naming each field", async ({ h }) => {
  const err = await expectError(
    h.snapshots.createSnapshot({
      ...base,
      tags: Array.from({ length: 65 }, (_, i) => `t${i}`),
      labels: { blob: "x".repeat(17 * 1024) },
      ttlDays: 40000,
      metadata: { commitMessage: "m".repeat(5000) },
    }),
  );
  assert.is(err.code, Code.InvalidArgument);
  const fields = err.findDetails(BadRequestSchema)[0].fieldViolations.map((v) => v.field).sort();
  assert.equal(fields, ["labels", "metadata.commit_message", "tags", "ttl_days"]);
});

test("page_size is clamped to 1000 and negative sizes are rejected", async ({ h }) => {
  const neg = await expectError(h.snapshots.listSnapshots({ storeId: "lim", pageSize: -5 }));
  assert.is(neg.code, Code.InvalidArgument);
  assert.match(neg.rawMessage, /page_size/);
  const huge = await h.snapshots.listSnapshots({ storeId: "lim", pageSize: 1_000_000 });
  assert.ok(huge.snapshots.length <= 1000);
});

test("CreateVersion with an idempotency key: replays and concurrent retries create one version", async ({ h }) => {
  const snap = (await h.snapshots.createSnapshot({ ...base, resourceType: "export" })).snapshot!;
  const req = { storeId: "lim", resourceType: "export", resourceId: "feed-1", snapshotId: snap.snapshotId, notes: "nightly", idempotencyKey: "commit-1" };
  const results = await Promise.all(Array.from({ length: 10 }, () => h.versions.createVersion(req)));
  assert.equal([...new Set(results.map((r) => r.version!.version))], [1n]);
  const again = await h.versions.createVersion(req);
  assert.is(again.version!.version, 1n);
  const list = await h.versions.listVersions({ storeId: "lim", resourceType: "export", resourceId: "feed-1" });
  assert.is(list.totalSize, 1);
  const reused = await expectError(h.versions.createVersion({ ...req, notes: "different" }));
  assert.is(reused.code, Code.AlreadyExists);
  const other = await h.versions.createVersion({ ...req, idempotencyKey: "commit-2" });
  assert.is(other.version!.version, 2n);
});

test.run();
