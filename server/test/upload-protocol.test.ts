import { createHash, randomBytes } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { SnapshotType } from "../../gen/vellum/v1/snapshot_pb.js";
import { SnapshotService, UploadSnapshotRequestSchema } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { UploadState } from "../../gen/vellum/v1/upload_pb.js";
import { ChunkEncoding, UploadService } from "../../gen/vellum/v1/upload_service_pb.js";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import { zstdCompressSync, zstdDecompressSync } from "node:zlib";
import { createChunker } from "../../sdk/src/chunking/fastcdc.js";
import { createTestDatabase, type TestDatabase } from "./support/test-db.js";
import { startTestServer, tempDir, type TestServer } from "./support/test-server.js";
import { expectError } from "./support/expect-error.js";

/** Resumable sessions and the content-addressed path, through the real HTTP/2 server. */
interface Ctx {
  db: TestDatabase;
  dir: ReturnType<typeof tempDir>;
  server: TestServer;
  snapshots: Client<typeof SnapshotService>;
  uploads: Client<typeof UploadService>;
}
const test = suite<Ctx>("upload protocol: resumable sessions and client-side dedup (real server)");

test.before(async (ctx) => {
  ctx.db = await createTestDatabase();
  ctx.dir = tempDir();
  ctx.server = await startTestServer({ DATABASE_URL: ctx.db.url, VELLUM_DATA_DIR: ctx.dir.path, VELLUM_PACK_TARGET_BYTES: String(4 * 1024 * 1024) });
  const transport = createGrpcTransport({ baseUrl: ctx.server.baseUrl });
  ctx.snapshots = createClient(SnapshotService, transport);
  ctx.uploads = createClient(UploadService, transport);
});
test.after(async (ctx) => {
  await ctx.server.stop();
  await ctx.db.drop();
  ctx.dir.remove();
});

const STORE = "uploads";
const header = (extra: object = {}) => ({ storeId: STORE, resourceType: "db_dump", resourceId: "orders", snapshotType: SnapshotType.DB, ...extra });

async function downloadAll(ctx: Ctx, snapshotId: string): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const m of ctx.snapshots.downloadSnapshot({ storeId: STORE, snapshotId })) parts.push(m.chunk);
  return Buffer.concat(parts);
}

async function* stream<T>(items: T[]): AsyncIterable<T> {
  yield* items;
}

test("a resumed upload after a killed connection produces byte-identical content", async (ctx) => {
  const content = randomBytes(12 * 1024 * 1024);
  const sha = createHash("sha256").update(content).digest("hex");
  const { upload } = await ctx.uploads.startUpload({ header: header({ expectedSha256: sha, expectedSize: BigInt(content.length) }) });
  const id = upload!.uploadId;
  assert.is(upload!.state, UploadState.OPEN);

  // First attempt: send 7 MiB, then the client aborts the stream mid-flight.
  const abort = new AbortController();
  const sentFirst = 7 * 1024 * 1024;
  const first = ctx.snapshots.uploadSnapshot(
    (async function* () {
      yield create(UploadSnapshotRequestSchema, { msg: { case: "header", value: { storeId: STORE, uploadId: id, writeOffset: 0n } } });
      for (let i = 0; i < sentFirst; i += 512 * 1024) {
        yield create(UploadSnapshotRequestSchema, { msg: { case: "chunk", value: content.subarray(i, i + 512 * 1024) } });
      }
      await new Promise((r) => setTimeout(r, 300));
      abort.abort();
      await new Promise(() => {}); // never ends by itself
    })(),
    { signal: abort.signal },
  );
  const cut = await expectError(first);
  assert.is(cut.code, Code.Canceled);

  // The server keeps every byte it received durably; wait for it to record the segment.
  let committed = 0n;
  for (let i = 0; i < 100 && committed === 0n; i++) {
    committed = (await ctx.uploads.getUpload({ storeId: STORE, uploadId: id })).upload!.committedSize;
    if (committed === 0n) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(committed > 0n && committed <= BigInt(sentFirst), `committed ${committed}`);

  // A wrong resume offset is refused.
  const wrong = await expectError(
    ctx.snapshots.uploadSnapshot(stream([create(UploadSnapshotRequestSchema, { msg: { case: "header", value: { storeId: STORE, uploadId: id, writeOffset: 1n } } })])),
  );
  assert.is(wrong.code, Code.FailedPrecondition);

  // Resume from the committed offset.
  const from = Number(committed);
  const res = await ctx.snapshots.uploadSnapshot(
    (async function* () {
      yield create(UploadSnapshotRequestSchema, { msg: { case: "header", value: { storeId: STORE, uploadId: id, writeOffset: committed } } });
      for (let i = from; i < content.length; i += 1024 * 1024) {
        yield create(UploadSnapshotRequestSchema, { msg: { case: "chunk", value: content.subarray(i, Math.min(i + 1024 * 1024, content.length)) } });
      }
    })(),
  );
  assert.is(res.snapshot!.sha256, sha);
  assert.ok((await downloadAll(ctx, res.snapshot!.snapshotId)).equals(content), "resumed content is byte-identical");
  const done = (await ctx.uploads.getUpload({ storeId: STORE, uploadId: id })).upload!;
  assert.is(done.state, UploadState.COMMITTED);
  assert.is(done.snapshotId, res.snapshot!.snapshotId);
  const again = await expectError(
    ctx.snapshots.uploadSnapshot(stream([create(UploadSnapshotRequestSchema, { msg: { case: "header", value: { storeId: STORE, uploadId: id, writeOffset: done.committedSize } } })])),
  );
  assert.is(again.code, Code.FailedPrecondition);
});

test("a resumed session with a wrong expected hash fails with DATA_LOSS; cancel makes it CANCELLED", async (ctx) => {
  const content = randomBytes(300_000);
  const { upload } = await ctx.uploads.startUpload({ header: header({ expectedSha256: "a".repeat(64) }) });
  const bad = await expectError(
    ctx.snapshots.uploadSnapshot(stream([
      create(UploadSnapshotRequestSchema, { msg: { case: "header", value: { storeId: STORE, uploadId: upload!.uploadId } } }),
      create(UploadSnapshotRequestSchema, { msg: { case: "chunk", value: content } }),
    ])),
  );
  assert.is(bad.code, Code.DataLoss);
  const cancelled = await ctx.uploads.cancelUpload({ storeId: STORE, uploadId: upload!.uploadId });
  assert.is(cancelled.upload!.state, UploadState.CANCELLED);
  const twice = await expectError(ctx.uploads.cancelUpload({ storeId: STORE, uploadId: upload!.uploadId }));
  assert.is(twice.code, Code.FailedPrecondition);
  const unknown = await expectError(ctx.uploads.getUpload({ storeId: STORE, uploadId: "01900000-0000-7000-8000-000000000000" }));
  assert.is(unknown.code, Code.NotFound);
});

/** Chunks `data` with the SDK's chunker and returns digests/sizes/bytes. */
function chunkLocally(data: Uint8Array) {
  const c = createChunker();
  const out = [...c.push(data), ...c.finish()].map((b) => new Uint8Array(b));
  return out.map((bytes) => ({ bytes, digest: createHash("sha256").update(bytes).digest(), size: BigInt(bytes.length) }));
}

test("client-side dedup: only missing chunks are sent; commit verifies and creates the snapshot", async (ctx) => {
  const v1 = randomBytes(3 * 1024 * 1024);
  const v2 = Buffer.concat([v1.subarray(0, 1_500_000), Buffer.from("an edit in the middle"), v1.subarray(1_500_000)]);
  for (const [i, content] of [v1, v2].entries()) {
    const chunks = chunkLocally(content);
    const { missingDigests } = await ctx.uploads.findMissingChunks({ storeId: STORE, digests: chunks.map((c) => c.digest) });
    const missing = new Set(missingDigests.map((d) => Buffer.from(d).toString("hex")));
    if (i === 0) assert.is(missing.size, new Set(chunks.map((c) => c.digest.toString("hex"))).size);
    else assert.ok(missing.size >= 1 && missing.size <= 3, `v2 needs only the edited chunks, got ${missing.size} of ${chunks.length}`);
    const toSend = chunks.filter((c) => missing.has(c.digest.toString("hex")));
    const stored = await ctx.uploads.uploadChunks(
      (async function* () {
        yield { storeId: STORE };
        for (const c of toSend) yield { chunk: c.bytes };
      })(),
    );
    assert.is(Number(stored.chunksReceived), toSend.length);
    const sha = createHash("sha256").update(content).digest("hex");
    const { snapshot } = await ctx.uploads.commitSnapshot({
      header: header({ resourceId: "cas", expectedSha256: sha }),
      chunks: chunks.map((c) => ({ digest: c.digest, size: c.size })),
    });
    assert.is(snapshot!.sha256, sha);
    assert.is(snapshot!.version, BigInt(i + 1));
    assert.ok((await downloadAll(ctx, snapshot!.snapshotId)).equals(content));
  }
  const ghost = createHash("sha256").update("never uploaded").digest();
  const missing = await expectError(ctx.uploads.commitSnapshot({ header: header(), chunks: [{ digest: ghost, size: 14n }] }));
  assert.is(missing.code, Code.FailedPrecondition);
  const badDigest = await expectError(ctx.uploads.findMissingChunks({ storeId: STORE, digests: [new Uint8Array(5)] }));
  assert.is(badDigest.code, Code.InvalidArgument);
});

test("UploadChunks takes zstd frames: ids are the plaintext's, bad frames and sizes are INVALID_ARGUMENT", async (ctx) => {
  const store = "uploads-zstd";
  const text = Buffer.from(Array.from({ length: 3000 }, (_, i) => `{"id":${i},"sku":"SKU-${i * 7}","price":${i % 97}.5}`).join("\n"));
  const chunks = chunkLocally(text);
  const frames = chunks.map((c) => zstdCompressSync(c.bytes));
  assert.ok(frames.every((f, i) => f.length < chunks[i].bytes.length / 2), "the frames compress");
  const stored = await ctx.uploads.uploadChunks(
    (async function* () {
      yield { storeId: store };
      for (const [i, c] of chunks.entries()) yield { chunk: frames[i], encoding: ChunkEncoding.ZSTD, size: c.size };
    })(),
  );
  assert.is(Number(stored.chunksStored), chunks.length);
  assert.ok(Number(stored.bytesStored) <= frames.reduce((n, f) => n + f.length, 0), "stored no more than the frames");
  const { missingDigests } = await ctx.uploads.findMissingChunks({ storeId: store, digests: chunks.map((c) => c.digest) });
  assert.is(missingDigests.length, 0, "chunks are indexed under the digest of their plaintext");
  const sha = createHash("sha256").update(text).digest("hex");
  const { snapshot } = await ctx.uploads.commitSnapshot({
    header: { ...header({ resourceId: "zstd", expectedSha256: sha }), storeId: store },
    chunks: chunks.map((c) => ({ digest: c.digest, size: c.size })),
  });
  const parts: Uint8Array[] = [];
  for await (const m of ctx.snapshots.downloadSnapshot({ storeId: store, snapshotId: snapshot!.snapshotId })) parts.push(m.chunk);
  assert.ok(Buffer.concat(parts).equals(text));

  const send = (msgs: object[]) =>
    expectError(
      ctx.uploads.uploadChunks(
        (async function* () {
          yield { storeId: store };
          yield* msgs;
        })(),
      ),
    );
  const fieldOf = (e: Awaited<ReturnType<typeof send>>) => e.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field);
  const bomb = zstdCompressSync(Buffer.alloc(4 * 1024 * 1024)); // 4 MiB of zeros in a few hundred bytes
  const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4]);
  for (const tail of [frames[1], skippable, Buffer.from("junk")]) {
    assert.ok(zstdDecompressSync(Buffer.concat([frames[0], tail])).equals(chunks[0].bytes), "node's decoder ignores the tail");
  }
  const damaged = Buffer.from(frames[0]);
  damaged[damaged.length >> 1] ^= 0xff;
  // One raw block of `plain` in a frame that declares a window of 2^windowLog (and no content size).
  const windowed = (plain: Uint8Array, windowLog: number) => {
    const block = (plain.length << 3) | 1;
    return Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, (windowLog - 10) << 3, block & 0xff, (block >> 8) & 0xff, block >> 16]), plain]);
  };
  const small = text.subarray(0, 2000);
  assert.ok(zstdDecompressSync(windowed(small, 24)).equals(small), "a valid frame, but for its window");
  const cases: [string, object, string][] = [
    ["declared size smaller than the frame decodes to", { chunk: bomb, encoding: ChunkEncoding.ZSTD, size: 1024n }, "chunk"],
    ["declared size larger than the frame decodes to", { chunk: frames[0], encoding: ChunkEncoding.ZSTD, size: chunks[0].size + 1n }, "chunk"],
    ["a damaged frame", { chunk: damaged, encoding: ChunkEncoding.ZSTD, size: chunks[0].size }, "chunk"],
    ["a frame cut short", { chunk: frames[0].subarray(0, frames[0].length - 3), encoding: ChunkEncoding.ZSTD, size: chunks[0].size }, "chunk"],
    ["not zstd at all", { chunk: text.subarray(0, 500), encoding: ChunkEncoding.ZSTD, size: 500n }, "chunk"],
    // Node's one-shot decoder takes each of these as the first frame alone (it ignores what
    // follows), but a stored zstd record must be exactly one frame: the reader rejects the rest.
    ["a frame and another frame", { chunk: Buffer.concat([frames[0], frames[1]]), encoding: ChunkEncoding.ZSTD, size: chunks[0].size }, "chunk"],
    ["a frame and a skippable frame", { chunk: Buffer.concat([frames[0], skippable]), encoding: ChunkEncoding.ZSTD, size: chunks[0].size }, "chunk"],
    ["a frame and other bytes", { chunk: Buffer.concat([frames[0], Buffer.from("junk")]), encoding: ChunkEncoding.ZSTD, size: chunks[0].size }, "chunk"],
    ["a frame needing a window above 8 MiB", { chunk: windowed(small, 24), encoding: ChunkEncoding.ZSTD, size: BigInt(small.length) }, "chunk"],
    ["zstd without a size", { chunk: frames[0], encoding: ChunkEncoding.ZSTD }, "size"],
    ["a size beyond 8 MiB", { chunk: bomb, encoding: ChunkEncoding.ZSTD, size: BigInt(9 * 1024 * 1024) }, "size"],
    ["identity with a wrong size", { chunk: chunks[0].bytes, size: 7n }, "size"],
    ["an unknown encoding", { chunk: chunks[0].bytes, encoding: 9 }, "encoding"],
  ];
  for (const [what, msg, field] of cases) {
    const e = await send([msg]);
    assert.is(e.code, Code.InvalidArgument, what);
    assert.equal(fieldOf(e), [field], what);
  }
  const ghost = createHash("sha256").update(Buffer.alloc(4 * 1024 * 1024)).digest();
  assert.is((await ctx.uploads.findMissingChunks({ storeId: store, digests: [ghost] })).missingDigests.length, 1, "nothing stored by failed streams");

  // The server's decoder is reused across chunks and streams: after every failure above, good
  // frames (one at the 8 MiB window limit) still decode, before and after another bad one.
  const after = [small, Buffer.from(text.subarray(5000, 9000)).reverse()];
  const afterFrames = [windowed(after[0], 23), zstdCompressSync(after[1])];
  const digests = after.map((b) => createHash("sha256").update(b).digest());
  assert.is((await ctx.uploads.findMissingChunks({ storeId: store, digests })).missingDigests.length, 2);
  const good = (i: number) => ({ chunk: afterFrames[i], encoding: ChunkEncoding.ZSTD, size: BigInt(after[i].length) });
  assert.is(Number((await ctx.uploads.uploadChunks(stream([{ storeId: store }, good(0)]))).chunksStored), 1);
  assert.is((await send([{ chunk: windowed(small, 24), encoding: ChunkEncoding.ZSTD, size: BigInt(small.length) }])).code, Code.InvalidArgument);
  assert.is(Number((await ctx.uploads.uploadChunks(stream([{ storeId: store }, good(1)]))).chunksStored), 1);
  assert.is((await ctx.uploads.findMissingChunks({ storeId: store, digests })).missingDigests.length, 0);
});

test("UploadChunks takes many chunks per message (`chunk`, then `more_data` in order); violations name the fields", async (ctx) => {
  const store = "uploads-batched";
  const text = Buffer.from(Array.from({ length: 6000 }, (_, i) => `{"id":${i},"name":"item ${i * 13}","qty":${i % 41}}`).join("\n"));
  const content = Buffer.concat([text, randomBytes(400_000)]); // compressible chunks, then incompressible ones
  const chunks = chunkLocally(content);
  assert.ok(chunks.length >= 6, `${chunks.length} chunks`);
  // Every other chunk as a zstd frame; `more_*` packs a run of chunks.
  const asSent = chunks.map((c, i) => (i % 2 === 0 ? { data: zstdCompressSync(c.bytes), size: Number(c.size) } : { data: c.bytes, size: 0 }));
  const packed = (list: typeof asSent) => ({ moreData: Buffer.concat(list.map((c) => c.data)), moreLengths: list.map((c) => c.data.length), moreSizes: list.map((c) => c.size) });
  const stored = await ctx.uploads.uploadChunks(
    stream([{ storeId: store, chunk: chunks[0].bytes }, packed(asSent.slice(1, 4)), { chunk: chunks[4].bytes, ...packed(asSent.slice(5)) }]),
  );
  assert.is(Number(stored.chunksReceived), chunks.length, "every chunk of every message counted");
  const digests = chunks.map((c) => c.digest);
  assert.is((await ctx.uploads.findMissingChunks({ storeId: store, digests })).missingDigests.length, 0);
  const sha = createHash("sha256").update(content).digest("hex");
  const { snapshot } = await ctx.uploads.commitSnapshot({
    header: { ...header({ resourceId: "batched", expectedSha256: sha }), storeId: store },
    chunks: chunks.map((c) => ({ digest: c.digest, size: c.size })),
  });
  const parts: Uint8Array[] = [];
  for await (const m of ctx.snapshots.downloadSnapshot({ storeId: store, snapshotId: snapshot!.snapshotId })) parts.push(m.chunk);
  assert.ok(Buffer.concat(parts).equals(content));

  const other = Buffer.from(Array.from({ length: 150 }, (_, i) => `line ${i} of another chunk\n`).join("")); // compressible: a damaged frame fails to decode
  const otherDigest = createHash("sha256").update(other).digest();
  const frame = zstdCompressSync(other);
  const damaged = Buffer.from(frame);
  damaged[damaged.length >> 1] ^= 0xff;
  const two = Buffer.concat([other, other]);
  const cases: [string, object, string][] = [
    ["a length of 0", { moreData: two, moreLengths: [two.length, 0], moreSizes: [0, 0] }, "more_lengths[1]"],
    ["lengths that do not add up to the data", { moreData: two, moreLengths: [other.length, 10], moreSizes: [0, 0] }, "more_data"],
    ["data without lengths", { moreData: two }, "more_data"],
    ["a size missing", { moreData: two, moreLengths: [other.length, other.length], moreSizes: [0] }, "more_sizes"],
    ["a damaged frame", { moreData: Buffer.concat([other, damaged]), moreLengths: [other.length, damaged.length], moreSizes: [0, other.length] }, "more_data[1]"],
    ["a frame that decodes to another size", { moreData: frame, moreLengths: [frame.length], moreSizes: [other.length + 1] }, "more_data[0]"],
    ["a decoded size beyond 8 MiB", { moreData: frame, moreLengths: [frame.length], moreSizes: [8 * 1024 * 1024 + 1] }, "more_sizes[0]"],
    ["a raw chunk beyond 8 MiB", { moreData: Buffer.alloc(8 * 1024 * 1024 + 1), moreLengths: [8 * 1024 * 1024 + 1], moreSizes: [0] }, "more_data[0]"],
  ];
  for (const [what, msg, field] of cases) {
    const e = await expectError(ctx.uploads.uploadChunks(stream([{ storeId: store }, msg]))).catch((err: Error) => {
      throw new Error(`${what}: ${err.message}`);
    });
    assert.is(e.code, Code.InvalidArgument, what);
    assert.equal(e.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field), [field], what);
  }
  assert.is((await ctx.uploads.findMissingChunks({ storeId: store, digests: [otherDigest] })).missingDigests.length, 1, "a failed stream stores nothing");
});

test("CommitSnapshot takes the chunk list packed (chunk_digests, chunk_sizes): the same snapshot and idempotency key; violations name those fields", async (ctx) => {
  const store = "uploads-packed";
  const content = randomBytes(700_000);
  const chunks = chunkLocally(content);
  await ctx.uploads.uploadChunks(stream([{ storeId: store }, ...chunks.map((c) => ({ chunk: c.bytes }))]));
  const sha = createHash("sha256").update(content).digest("hex");
  const packed = { chunkDigests: Buffer.concat(chunks.map((c) => c.digest)), chunkSizes: chunks.map((c) => Number(c.size)) };
  const head = { ...header({ resourceId: "packed", expectedSha256: sha, idempotencyKey: "packed-commit" }), storeId: store };
  const { snapshot } = await ctx.uploads.commitSnapshot({ header: head, ...packed });
  assert.is(snapshot!.sha256, sha);
  const parts: Uint8Array[] = [];
  for await (const m of ctx.snapshots.downloadSnapshot({ storeId: store, snapshotId: snapshot!.snapshotId })) parts.push(m.chunk);
  assert.ok(Buffer.concat(parts).equals(content));
  const replay = await ctx.uploads.commitSnapshot({ header: head, chunks: chunks.map((c) => ({ digest: c.digest, size: c.size })) });
  assert.is(replay.snapshot!.snapshotId, snapshot!.snapshotId, "the same list in either form is the same request");

  const ghost = createHash("sha256").update("never uploaded").digest();
  const missing = await expectError(ctx.uploads.commitSnapshot({ header: header({ storeId: store }), chunkDigests: ghost, chunkSizes: [14] }));
  assert.is(missing.code, Code.FailedPrecondition);
  const cases: [string, object, string][] = [
    ["both forms", { chunks: [{ digest: chunks[0].digest, size: chunks[0].size }], ...packed }, "chunk_digests"],
    ["digests cut short", { chunkDigests: packed.chunkDigests.subarray(0, 40), chunkSizes: [1] }, "chunk_digests"],
    ["a size missing", { chunkDigests: packed.chunkDigests, chunkSizes: packed.chunkSizes.slice(1) }, "chunk_sizes"],
    ["sizes without digests", { chunkSizes: [5] }, "chunk_sizes"],
    ["a size of 0", { chunkDigests: packed.chunkDigests.subarray(0, 64), chunkSizes: [5, 0] }, "chunk_sizes[1]"],
    ["a size beyond 64 MiB", { chunkDigests: packed.chunkDigests.subarray(0, 32), chunkSizes: [64 * 1024 * 1024 + 1] }, "chunk_sizes[0]"],
  ];
  for (const [what, list, field] of cases) {
    const e = await expectError(ctx.uploads.commitSnapshot({ header: header({ storeId: store, resourceId: "packed-bad" }), ...list }));
    assert.is(e.code, Code.InvalidArgument, what);
    assert.equal(e.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field), [field], what);
  }
});

test("FindMissingChunks takes 10,000 digests but refuses a larger request before parsing it (RESOURCE_EXHAUSTED)", async (ctx) => {
  const digests = Array.from({ length: 10_000 }, (_, i) => createHash("sha256").update(`probe ${i}`).digest());
  assert.is((await ctx.uploads.findMissingChunks({ storeId: STORE, digests })).missingDigests.length, 10_000);
  // 600,000 empty digests: 1.2 MB on the wire, and 600,000 objects were the server to parse it.
  const flood = await expectError(ctx.uploads.findMissingChunks({ storeId: STORE, digests: Array.from({ length: 600_000 }, () => new Uint8Array(0)) }));
  assert.is(flood.code, Code.ResourceExhausted);
  assert.is((await ctx.uploads.findMissingChunks({ storeId: STORE, digests: digests.slice(0, 3) })).missingDigests.length, 3, "the server still answers");
});

test.run();
