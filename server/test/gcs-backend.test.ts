import { createHash, randomBytes } from "node:crypto";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { ensureGcsEmulator } from "../../scripts/gcs-emulator/ensure-gcs-emulator.js";
import { createTestDatabase } from "./support/test-db.js";
import { startTestServer, tempDir } from "./support/test-server.js";

/** The whole server with VELLUM_BLOB_URL=gs://… against the Cloud Storage emulator. */
const test = suite("server on GCS: packs in a gs:// bucket (Cloud Storage emulator)");

test("upload, dedup, download and verify with packs stored in GCS", async () => {
  const emulator = await ensureGcsEmulator();
  const db = await createTestDatabase();
  const dir = tempDir();
  const server = await startTestServer({
    DATABASE_URL: db.url,
    VELLUM_DATA_DIR: dir.path,
    VELLUM_BLOB_URL: "gs://vellum-test/packs",
    VELLUM_GCS_ENDPOINT: emulator.endpoint,
    VELLUM_PACK_TARGET_BYTES: String(2 * 1024 * 1024),
  });
  try {
    const client = createClient(SnapshotService, createGrpcTransport({ baseUrl: server.baseUrl }));
    const content = randomBytes(5 * 1024 * 1024);
    const mk = () =>
      client.uploadSnapshot(
        (async function* () {
          yield { msg: { case: "header" as const, value: { storeId: "gcs", resourceType: "blob", snapshotType: SnapshotType.BLOB, encrypt: true } } };
          for (let i = 0; i < content.length; i += 1 << 20) yield { msg: { case: "chunk" as const, value: content.subarray(i, i + (1 << 20)) } };
        })(),
      );
    const a = (await mk()).snapshot!;
    const b = (await mk()).snapshot!;
    assert.ok(a.encrypted);
    assert.ok(a.storedSize > 4_000_000n, "first upload stores the (incompressible) data");
    assert.is(b.storedSize, 0n, "second upload of the same content stores nothing new");
    const listed = [];
    for await (const info of server.services.blobs.list("packs/gcs/")) listed.push(info);
    assert.ok(listed.length >= 2, "packs are objects in the bucket");
    const parts: Uint8Array[] = [];
    for await (const m of client.downloadSnapshot({ storeId: "gcs", snapshotId: b.snapshotId, offset: 1000n, length: 3_000_000n })) parts.push(m.chunk);
    assert.ok(Buffer.concat(parts).equals(content.subarray(1000, 3_001_000)));
    const whole: Uint8Array[] = [];
    for await (const m of client.downloadSnapshot({ storeId: "gcs", snapshotId: a.snapshotId })) whole.push(m.chunk);
    assert.is(createHash("sha256").update(Buffer.concat(whole)).digest("hex"), a.sha256);
  } finally {
    await server.stop();
    await db.drop();
    dir.remove();
    await emulator.stop();
  }
});

test.run();
