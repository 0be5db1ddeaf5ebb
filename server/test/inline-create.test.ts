import { Code, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import postgres from "postgres";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { AuditService } from "../../gen/vellum/v1/audit_service_pb.js";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { expectError } from "./support/expect-error.js";
import { jsonPayload, packFiles, readText } from "./support/stored-content.js";
import { createTestDatabase, type TestDatabase } from "./support/test-db.js";
import { startTestServer, tempDir, type TestServer } from "./support/test-server.js";

/**
 * CreateSnapshot of small content takes the inline path (storage/content/inline-ingest.ts): content
 * and snapshot committed in one transaction, the buffer budget holding only the payload's size.
 */
interface Ctx {
  db: TestDatabase;
  dir: ReturnType<typeof tempDir>;
  server: TestServer;
  snapshots: Client<typeof SnapshotService>;
  audit: Client<typeof AuditService>;
}
const test = suite<Ctx>("inline CreateSnapshot: one transaction, budget of its own size");

test.before(async (ctx) => {
  ctx.db = await createTestDatabase();
  ctx.dir = tempDir();
  // 40 MiB: one upload's admission (10 MiB scan + a 16 MiB pack) leaves less than another ingest needs.
  ctx.server = await startTestServer({ DATABASE_URL: ctx.db.url, VELLUM_DATA_DIR: ctx.dir.path, VELLUM_BUFFER_BUDGET_MB: "40" });
  const transport = createGrpcTransport({ baseUrl: ctx.server.baseUrl });
  ctx.snapshots = createClient(SnapshotService, transport);
  ctx.audit = createClient(AuditService, transport);
});
test.after(async (ctx) => {
  await ctx.server.stop();
  await ctx.db.drop();
  ctx.dir.remove();
});

test("small creates complete while an upload holds most of the budget, and read back verified", async (ctx) => {
  const store = "inline-budget";
  let release!: () => void;
  const go = new Promise<void>((r) => (release = r));
  const held = ctx.snapshots.uploadSnapshot(
    (async function* () {
      yield { msg: { case: "header" as const, value: { storeId: store, resourceType: "dump", snapshotType: SnapshotType.DB } } };
      await go; // admitted (26 of the 40 MiB), then sends nothing until released
      yield { msg: { case: "chunk" as const, value: new Uint8Array(1024).fill(1) } };
    })(),
  );
  held.catch(() => undefined); // awaited below
  await new Promise((r) => setTimeout(r, 500));
  const docs = Array.from({ length: 8 }, (_, i) => JSON.stringify({ sku: `SKU-${i}`, price: i, note: "x".repeat(i * 1000) }));
  const created = await Promise.all(
    docs.map((d, i) =>
      ctx.snapshots.createSnapshot(
        { storeId: store, resourceType: "product", resourceId: `p${i % 3}`, snapshotType: SnapshotType.JSON, payload: jsonPayload(d), encrypt: i % 2 === 1 },
        { timeoutMs: 20_000 },
      ),
    ),
  );
  for (const [i, c] of created.entries()) {
    assert.is(await readText(ctx.snapshots, store, c.snapshot!.snapshotId), docs[i]);
    assert.is(c.snapshot!.encrypted, i % 2 === 1);
  }
  release();
  assert.is((await held).snapshot!.size, 1024n);
  const verified = await ctx.audit.verifyAuditChain({ storeId: store });
  assert.ok(verified.ok, verified.reason);
});

test("racing creates of one resource_version: one commits, the others fail ALREADY_EXISTS and leave no pack object", async (ctx) => {
  const store = "inline-race";
  const results = await Promise.allSettled(
    Array.from({ length: 6 }, (_, i) =>
      ctx.snapshots.createSnapshot({ storeId: store, resourceType: "product", resourceId: "one", resourceVersion: "v1", snapshotType: SnapshotType.JSON, payload: jsonPayload(`{"n":${i}}`) }),
    ),
  );
  const ok = results.filter((r) => r.status === "fulfilled");
  assert.is(ok.length, 1);
  for (const r of results) if (r.status === "rejected") assert.is((await expectError(Promise.reject(r.reason))).code, Code.AlreadyExists);
  const sql = postgres(ctx.db.url, { max: 1 });
  try {
    const [{ n }] = await sql`select count(*)::int as n from packs where store_id = ${store}`;
    assert.is(packFiles(ctx.dir.path, store), n, "every pack object on disk has its row");
    const [{ m }] = await sql`select count(*)::int as m from manifests where store_id = ${store}`;
    assert.is(m, 1, "only the committed create's manifest");
  } finally {
    await sql.end();
  }
  const verified = await ctx.audit.verifyAuditChain({ storeId: store });
  assert.ok(verified.ok, verified.reason);
});

test("identical small contents share their chunk: the second create writes no pack", async (ctx) => {
  const store = "inline-dedup";
  const a = await ctx.snapshots.createSnapshot({ storeId: store, resourceType: "product", snapshotType: SnapshotType.JSON, payload: jsonPayload('{"same":true}') });
  const b = await ctx.snapshots.createSnapshot({ storeId: store, resourceType: "product", snapshotType: SnapshotType.JSON, payload: jsonPayload('{"same":true}') });
  assert.ok(a.snapshot!.storedSize > 0n);
  assert.is(b.snapshot!.storedSize, 0n);
  assert.is(packFiles(ctx.dir.path, store), 1);
  assert.is(await readText(ctx.snapshots, store, b.snapshot!.snapshotId), '{"same":true}');
});

test.run();
