import { createHash } from "node:crypto";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { SnapshotService } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { UploadService } from "../../gen/vellum/v1/upload_service_pb.js";
import { createTestDatabase } from "../../server/test/support/test-db.js";
import { startTestServer, tempDir } from "../../server/test/support/test-server.js";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createVellumClient, uploadSnapshot } from "../src/node.js";
import { uploadSnapshotIncremental } from "../src/node/incremental-upload.js";
import { createZstdContexts } from "../src/node/zstd-context.js";

const test = suite("sdk: incremental upload sends only changed chunks (real server)");

/** A sorted-records dump, like a database export. */
function dump(records: number, edit: (i: number) => string | undefined = () => undefined): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < records; i++) {
    lines.push(edit(i) ?? `${String(i).padStart(8, "0")}\t{"sku":"SKU-${i}","name":"Product ${i} ${"x".repeat(i % 40)}","price":${(i * 37) % 1000}.99,"stock":${(i * 13) % 500}}`);
  }
  return Buffer.from(lines.join("\n"));
}

test("a mostly unchanged new version moves only its changed chunks", async () => {
  const db = await createTestDatabase();
  const dir = tempDir();
  const server = await startTestServer({ DATABASE_URL: db.url, VELLUM_DATA_DIR: dir.path });
  try {
    const transport = createGrpcTransport({ baseUrl: server.baseUrl });
    const uploads = createClient(UploadService, transport);
    const snapshots = createClient(SnapshotService, transport);
    const header = { storeId: "sdk-inc", resourceType: "db_dump", resourceId: "catalog", snapshotType: SnapshotType.DB };
    const v1 = dump(120_000);
    const v2 = dump(120_000, (i) => (i % 5000 === 17 ? `${String(i).padStart(8, "0")}\t{"sku":"SKU-${i}","edited":true}` : undefined));
    async function* pieces(b: Buffer) {
      for (let i = 0; i < b.length; i += 1 << 20) yield b.subarray(i, i + (1 << 20));
    }
    const first = await uploadSnapshotIncremental(uploads, header, pieces(v1));
    assert.is(first.size, v1.length);
    assert.ok(first.chunkBytesSent >= v1.length * 0.99, "the first version sends every chunk");
    assert.ok(first.bytesSent < first.chunkBytesSent / 3, `compressed on the wire: ${first.bytesSent} of ${first.chunkBytesSent} bytes`);
    const second = await uploadSnapshotIncremental(uploads, header, pieces(v2));
    assert.is(second.snapshot.version, 2n);
    assert.is(second.snapshot.sha256, createHash("sha256").update(v2).digest("hex"));
    assert.ok(second.chunkBytesSent < v2.length * 0.2, `second version sent chunks of ${second.chunkBytesSent} of ${v2.length} bytes`);
    assert.ok(second.chunksSent < second.chunksTotal / 4);
    // zstdLevel 0 sends chunks raw; the store ends up with the same content either way.
    const raw = await uploadSnapshotIncremental(uploads, { ...header, storeId: "sdk-inc-raw" }, pieces(v2), { zstdLevel: 0 });
    assert.is(raw.bytesSent, raw.chunkBytesSent);
    assert.is(raw.snapshot.sha256, second.snapshot.sha256);
    // The SDK's Node uploader takes the same path with `incremental: true`, here from a file path.
    const file = join(dir.path, "v2.dump");
    writeFileSync(file, v2);
    const viaFile = await uploadSnapshot(createVellumClient(transport), header, file, { incremental: true });
    assert.is(viaFile.sha256, second.snapshot.sha256);
    assert.is(viaFile.version, 3n);
    assert.is(viaFile.storedSize, 0n, "nothing new to store");
    const parts: Uint8Array[] = [];
    for await (const m of snapshots.downloadSnapshot({ storeId: "sdk-inc", snapshotId: second.snapshot.snapshotId })) parts.push(m.chunk);
    assert.ok(Buffer.concat(parts).equals(v2));
  } finally {
    await server.stop();
    await db.drop();
    dir.remove();
  }
});

test("a chunk whose zstd frame is exactly 16 KiB is sent as one frame and accepted", async () => {
  // Node's zstdCompressSync, with its default 16 KiB output chunks, appended an empty second frame
  // to a frame that filled one chunk exactly; find content whose frame, as the uploader makes it
  // (its reused context, level 1), is that size.
  const base = dump(4000);
  const zstd = createZstdContexts();
  if (!zstd) throw new Error("this Node's zlib has no zstd contexts");
  const frameOf = (len: number) => zstd.compress(base.subarray(0, len), 1).length;
  let lo = 16_384; // the frame size grows with the length: find where it passes 16 KiB, then look around
  let hi = base.length;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (frameOf(mid) < 16_384) lo = mid;
    else hi = mid;
  }
  let content: Buffer | undefined;
  for (let len = Math.max(1, lo - 2000); len < lo + 2000 && !content; len++) if (frameOf(len) === 16_384) content = base.subarray(0, len);
  assert.ok(content, "content with a 16 KiB frame exists");
  const db = await createTestDatabase();
  const dir = tempDir();
  const server = await startTestServer({ DATABASE_URL: db.url, VELLUM_DATA_DIR: dir.path });
  try {
    const uploads = createClient(UploadService, createGrpcTransport({ baseUrl: server.baseUrl }));
    const header = { storeId: "sdk-frame", resourceType: "db_dump", snapshotType: SnapshotType.DB };
    // One chunk: the whole content.
    const r = await uploadSnapshotIncremental(uploads, header, (async function* () { yield content!; })(), { chunking: { minSize: 1 << 20, avgSize: 2 << 20, maxSize: 4 << 20 } });
    assert.is(r.chunksTotal, 1);
    assert.is(r.bytesSent, 16_384);
    assert.is(r.snapshot.sha256, createHash("sha256").update(content!).digest("hex"));
  } finally {
    await server.stop();
    await db.drop();
    dir.remove();
  }
});

test.run();
