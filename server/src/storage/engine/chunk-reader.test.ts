import { test } from "uvu";
import * as assert from "uvu/assert";
import { digestOf } from "../../domain/digest.js";
import { type DomainErrorName, isDomainError } from "../../domain/errors.js";
import { type BlobStore, blobUnavailable } from "../blob/blob-store.js";
import { createMemoryBlobStore } from "../blob/memory-blob-store.js";
import { encryptChunk } from "./chunk-crypto.js";
import { createBufferBudget } from "../../lib/buffer-budget.js";
import { type ChunkReader, READ_AHEAD_MIN_BYTES, createChunkReader } from "./chunk-reader.js";
import { encodeChunk } from "./codec.js";
import { flipBit, jsonRecords, noise } from "./engine-test-support.js";
import { generateDataKey } from "./kms.js";
import { packKey } from "./pack-format.js";
import { createPackWriter } from "./pack-writer.js";
import type { ChunkLocation } from "./types.js";
import { createContentWorkers } from "./content-workers.js";
import { PLAIN_BUFFER_MAX_BYTES } from "./scan-protocol.js";

const STORE = "store-r";
const combos = [
  { compress: false, encrypt: false },
  { compress: true, encrypt: false },
  { compress: false, encrypt: true },
  { compress: true, encrypt: true },
];

/** Encodes, optionally encrypts, and packs `chunks` the way ingest does. */
async function writeChunks(
  blobStore: BlobStore,
  chunks: Uint8Array[],
  o: { compress: boolean; dataKey?: Uint8Array; targetBytes?: number },
): Promise<ChunkLocation[]> {
  const w = createPackWriter({ blobStore, storeId: STORE, targetBytes: o.targetBytes ?? 64 * 1024 });
  for (const plain of chunks) {
    const digest = digestOf(plain);
    const e = encodeChunk(plain, { compress: o.compress });
    const data = o.dataKey ? encryptChunk(o.dataKey, e.data, { storeId: STORE, digest, codec: e.codec }) : e.data;
    await w.add({ digest, codec: e.codec, encrypted: o.dataKey !== undefined, plainSize: plain.length, data });
  }
  return (await w.finish()).flatMap((p) => p.locations);
}

const sample = (): Uint8Array[] => [
  jsonRecords(300),
  noise(20_000, 1),
  jsonRecords(50, (i) => i % 2 === 0),
  noise(1, 2),
  new Uint8Array(30_000).fill(9),
];

async function rejects(p: Promise<unknown>, name: DomainErrorName, pattern?: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.ok(isDomainError(e, name), `expected ${name}, got ${String(e)}`);
    if (pattern) assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected ${name}`);
}

async function drain(reader: ChunkReader, locs: ChunkLocation[], opts = {}): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const c of reader.readInOrder(locs, opts)) out.push(new Uint8Array(c));
  return out;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

const workers = createContentWorkers({ workers: 1 });
test.after(() => workers.close());

const modes = [
  ["event loop", {}],
  ["worker", { openGroup: workers.open }],
] as const;

for (const [where, offload] of modes)
for (const c of combos) {
  const label = `compress=${c.compress} encrypt=${c.encrypt}, opened on the ${where}`;

  test(`round trip (${label})`, async () => {
    const blobs = createMemoryBlobStore();
    const dataKey = c.encrypt ? generateDataKey() : undefined;
    const chunks = sample();
    const locs = await writeChunks(blobs, chunks, { compress: c.compress, dataKey });
    assert.ok(locs.every((l) => l.encrypted === c.encrypt));
    if (c.compress) assert.ok(locs.some((l) => l.codec === "zstd") && locs.some((l) => l.codec === "raw"));
    else assert.ok(locs.every((l) => l.codec === "raw"));
    const reader = createChunkReader({ blobStore: blobs, storeId: STORE, dataKey, ...offload });
    for (let i = 0; i < chunks.length; i++) assert.is(hex(await reader.read(locs[i])), hex(chunks[i]));
    const order = [4, 0, 0, 2, 1, 3, 2];
    const got = await drain(reader, order.map((i) => locs[i]), { concurrency: 2 });
    assert.equal(got.map(hex), order.map((i) => hex(chunks[i])));
  });

  test(`one flipped bit anywhere in a record is DATA_LOSS naming the chunk (${label})`, async () => {
    const dataKey = c.encrypt ? generateDataKey() : undefined;
    const chunks = sample().slice(0, 3);
    for (const where of ["start", "middle", "end"] as const) {
      const blobs = createMemoryBlobStore();
      const locs = await writeChunks(blobs, chunks, { compress: c.compress, dataKey });
      const l = locs[where === "start" ? 0 : where === "middle" ? 1 : 2];
      const at = where === "start" ? l.offset : where === "middle" ? l.offset + (l.length >> 1) : l.offset + l.length - 1;
      await flipBit(blobs, packKey(STORE, l.packId), at, 3);
      const reader = createChunkReader({ blobStore: blobs, storeId: STORE, dataKey, ...offload });
      await rejects(reader.read(l), "DataLoss", new RegExp(`chunk ${l.digest.toHex()}`));
      // In-order reads yield the good chunks before it and never a wrong byte.
      const got: string[] = [];
      try {
        for await (const x of reader.readInOrder(locs)) got.push(hex(x));
        assert.unreachable("expected DataLoss");
      } catch (e) {
        assert.ok(isDomainError(e, "DataLoss"), String(e));
        assert.match((e as Error).message, new RegExp(`chunk ${l.digest.toHex()}`));
      }
      const bad = locs.indexOf(l);
      assert.equal(got, chunks.slice(0, bad).map(hex));
    }
  });
}

test("raw groups go to the in-place checker when the fetched bytes own their buffer, and come back as views of it", async () => {
  const blobs = createMemoryBlobStore();
  const chunks = [noise(20_000, 5), noise(15_000, 6), noise(25_000, 7)]; // one group from the start (READ_AHEAD_MIN_BYTES)
  const locs = await writeChunks(blobs, chunks, { compress: false, targetBytes: 1 << 20 });
  let calls = 0;
  let buffers = new Set<ArrayBufferLike>();
  const openGroup: typeof workers.open = async (...args) => {
    calls++;
    const r = await workers.open(...args);
    buffers = new Set(r.plain.map((p) => p.buffer));
    return r;
  };
  const reader = createChunkReader({ blobStore: blobs, storeId: STORE, openGroup });
  const got: Uint8Array[] = [];
  for await (const x of reader.readInOrder(locs)) got.push(x);
  assert.is(calls, 1, "one group, checked on the worker");
  assert.is(buffers.size, 1, "every chunk a view of the one buffer that came back");
  assert.equal(got.map(hex), chunks.map(hex));
});

test("worker: an encrypted chunk without the data key is FAILED_PRECONDITION", async () => {
  const blobs = createMemoryBlobStore();
  const locs = await writeChunks(blobs, sample(), { compress: true, dataKey: generateDataKey() });
  const reader = createChunkReader({ blobStore: blobs, storeId: STORE, openGroup: workers.open });
  await rejects(drain(reader, locs), "FailedPrecondition", /no data key/);
});

test("an encrypted record under another store id or digest is DATA_LOSS", async () => {
  const blobs = createMemoryBlobStore();
  const dataKey = generateDataKey();
  const chunks = sample();
  const locs = await writeChunks(blobs, chunks, { compress: true, dataKey });
  const other = createChunkReader({ blobStore: blobs, storeId: "store-other", dataKey });
  // Same pack bytes presented as another store's (copy the pack across).
  for await (const info of blobs.list(`packs/${STORE}/`)) {
    const parts: Uint8Array[] = [];
    for await (const p of blobs.get(info.key)) parts.push(p);
    await blobs.put(info.key.replace(STORE, "store-other"), Buffer.concat(parts));
  }
  await rejects(other.read(locs[0]), "DataLoss");
  const reader = createChunkReader({ blobStore: blobs, storeId: STORE, dataKey });
  // Swap: chunk 0's record presented under chunk 2's digest (and size), and vice versa.
  await rejects(reader.read({ ...locs[0], digest: locs[2].digest, plainSize: locs[2].plainSize }), "DataLoss");
  await rejects(reader.read({ ...locs[2], digest: locs[0].digest }), "DataLoss");
  await rejects(createChunkReader({ blobStore: blobs, storeId: STORE, dataKey: generateDataKey() }).read(locs[1]), "DataLoss");
  await rejects(createChunkReader({ blobStore: blobs, storeId: STORE }).read(locs[1]), "FailedPrecondition");
});

test("an unencrypted record under the wrong digest, size or codec is DATA_LOSS", async () => {
  const blobs = createMemoryBlobStore();
  const chunks = sample();
  const locs = await writeChunks(blobs, chunks, { compress: true });
  const reader = createChunkReader({ blobStore: blobs, storeId: STORE });
  await rejects(reader.read({ ...locs[1], digest: locs[3].digest }), "DataLoss", /hash mismatch/);
  await rejects(reader.read({ ...locs[0], plainSize: locs[0].plainSize - 1 }), "DataLoss");
  await rejects(reader.read({ ...locs[1], codec: "zstd" }), "DataLoss");
  await rejects(reader.read({ ...locs[1], offset: locs[1].offset + 1 }), "DataLoss");
});

test("a missing pack or a record past its end is DATA_LOSS; an outage is UNAVAILABLE", async () => {
  const blobs = createMemoryBlobStore();
  const locs = await writeChunks(blobs, sample(), { compress: false });
  const reader = createChunkReader({ blobStore: blobs, storeId: STORE });
  const info = await blobs.stat(packKey(STORE, locs[0].packId));
  await rejects(reader.read({ ...locs[0], offset: info!.size - 10, length: 100 }), "DataLoss", /truncated/);
  await rejects(reader.read({ ...locs[0], offset: info!.size + 10 }), "DataLoss", /missing/);
  await blobs.delete(packKey(STORE, locs[0].packId));
  await rejects(reader.read(locs[0]), "DataLoss", /missing/);
  const down: BlobStore = {
    ...blobs,
    get: (key) => ({
      [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(blobUnavailable(key, new Error("x"))) }),
    }),
  };
  await rejects(createChunkReader({ blobStore: down, storeId: STORE }).read(locs[1]), "Unavailable");
});

/** Counts ranged reads and the most that were in flight at once. */
function countingStore(inner: BlobStore) {
  const s = { gets: 0, bytes: 0, inFlight: 0, maxInFlight: 0 };
  const store: BlobStore = {
    ...inner,
    get(key, range) {
      s.gets++;
      s.bytes += range?.length ?? 0;
      return (async function* () {
        s.inFlight++;
        s.maxInFlight = Math.max(s.maxInFlight, s.inFlight);
        try {
          await new Promise((r) => setTimeout(r, 2));
          yield* inner.get(key, range);
        } finally {
          s.inFlight--;
        }
      })();
    },
  };
  return { store, s };
}

test("readInOrder coalesces neighbouring records and bounds reads in flight", async () => {
  const blobs = createMemoryBlobStore();
  const chunks = Array.from({ length: 60 }, (_, i) => noise(10_000, 100 + i));
  const locs = await writeChunks(blobs, chunks, { compress: false, targetBytes: 200_100 }); // 20 records per pack
  assert.is(new Set(locs.map((l) => l.packId)).size, 3);
  const { store, s } = countingStore(blobs);
  const reader = createChunkReader({ blobStore: store, storeId: STORE });
  // Read-ahead at its maximum from the start (no slow start), so that spans are the options' alone.
  let got = await drain(reader, locs, { concurrency: 2, maxSpanBytes: 50_000, startAheadBytes: 100_000 });
  assert.equal(got.map(hex), chunks.map(hex));
  assert.is(s.gets, 12); // 5 records of 10 000 bytes per 50 000-byte read, 4 reads per pack
  assert.ok(s.maxInFlight <= 2 && s.maxInFlight >= 1, `max in flight ${s.maxInFlight}`);
  // Skipping one record in three still reads them in one go (gap below maxGapBytes)...
  const sparse = locs.filter((_, i) => i % 3 !== 1);
  s.gets = 0;
  s.maxInFlight = 0;
  got = await drain(reader, sparse, { concurrency: 3, maxSpanBytes: 1 << 20, startAheadBytes: 3 << 20 });
  assert.equal(got.map(hex), chunks.filter((_, i) => i % 3 !== 1).map(hex));
  assert.is(s.gets, 3);
  assert.ok(s.maxInFlight <= 3);
  // ...but with maxGapBytes 0 only adjacent records share a read: 40 records, 19 adjacent pairs.
  s.gets = 0;
  await drain(reader, sparse, { maxGapBytes: 0, startAheadBytes: 16 << 20 });
  const adjacent = sparse.filter(
    (l, i) => i > 0 && l.packId === sparse[i - 1].packId && l.offset === sparse[i - 1].offset + sparse[i - 1].length,
  ).length;
  assert.is(adjacent, 19);
  assert.is(s.gets, sparse.length - adjacent);
  assert.ok(s.maxInFlight <= 4, `default concurrency is 4, saw ${s.maxInFlight}`);
});

test("stopping early leaves no stray work or unhandled rejections", async () => {
  const blobs = createMemoryBlobStore();
  const chunks = Array.from({ length: 20 }, (_, i) => noise(5000, i));
  const locs = await writeChunks(blobs, chunks, { compress: false });
  await flipBit(blobs, packKey(STORE, locs[5].packId), locs[5].offset);
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on("unhandledRejection", onUnhandled);
  const reader = createChunkReader({ blobStore: blobs, storeId: STORE });
  let n = 0;
  for await (const _ of reader.readInOrder(locs, { concurrency: 8, maxSpanBytes: 5000 })) if (++n === 2) break;
  await new Promise((r) => setTimeout(r, 20));
  process.off("unhandledRejection", onUnhandled);
  assert.is(n, 2);
  assert.equal(unhandled, []);
});

test("neighbouring chunks of one group come out as adjacent views of one buffer (zstd and raw alike)", async () => {
  for (const compress of [true, false]) {
    const blobs = createMemoryBlobStore();
    const chunks = Array.from({ length: 6 }, (_, i) => (compress ? jsonRecords(200 + i) : noise(10_000 + i, i)));
    const locs = await writeChunks(blobs, chunks, { compress, targetBytes: 1024 * 1024 });
    const got: Uint8Array[] = [];
    for await (const c of createChunkReader({ blobStore: blobs, storeId: STORE }).readInOrder(locs, { startAheadBytes: 1 << 20 })) got.push(c); // no copies
    got.forEach((c, i) => assert.equal(Buffer.from(c), Buffer.from(chunks[i]), `chunk ${i}`));
    for (let i = 1; i < got.length; i++) {
      assert.is(got[i].buffer, got[0].buffer, `compress ${compress}: chunk ${i} shares the buffer`);
      assert.is(got[i].byteOffset, got[i - 1].byteOffset + got[i - 1].length, `compress ${compress}: chunk ${i} follows`);
    }
  }
});

test("worker: a large group's plaintexts come back in heap-sized buffers, adjacent within each; a bad record past the first fails after the good ones", async () => {
  const blobs = createMemoryBlobStore();
  const chunks = Array.from({ length: 12 }, (_, i) => jsonRecords(500 + i)); // about 64 KiB each, 12 in one group
  const locs = await writeChunks(blobs, chunks, { compress: true, targetBytes: 4 << 20 });
  assert.ok(locs.every((l) => l.codec === "zstd" && l.packId === locs[0].packId));
  const reader = createChunkReader({ blobStore: blobs, storeId: STORE, openGroup: workers.open });
  const got: Uint8Array[] = [];
  for await (const c of reader.readInOrder(locs, { startAheadBytes: 4 << 20 })) got.push(c);
  got.forEach((c, i) => assert.equal(Buffer.from(c), Buffer.from(chunks[i]), `chunk ${i}`));
  const buffers = [...new Set(got.map((c) => c.buffer))];
  assert.ok(buffers.length > 1 && buffers.every((b) => b.byteLength <= PLAIN_BUFFER_MAX_BYTES), `${buffers.length} buffers`);
  for (let i = 1; i < got.length; i++) {
    if (got[i].buffer === got[i - 1].buffer) assert.is(got[i].byteOffset, got[i - 1].byteOffset + got[i - 1].length, `chunk ${i} follows`);
  }
  const bad = locs.findIndex((l, i) => i > 0 && got[i].buffer !== got[0].buffer) + 1; // a record in the second buffer
  await flipBit(blobs, packKey(STORE, locs[bad].packId), locs[bad].offset + (locs[bad].length >> 1), 2);
  const before: string[] = [];
  try {
    for await (const c of reader.readInOrder(locs, { startAheadBytes: 4 << 20 })) before.push(hex(c));
    assert.unreachable("expected DataLoss");
  } catch (e) {
    assert.ok(isDomainError(e, "DataLoss"), String(e));
    assert.match((e as Error).message, new RegExp(`chunk ${locs[bad].digest.toHex()}`));
  }
  assert.equal(before, chunks.slice(0, bad).map(hex));
});

test("read-ahead starts small and grows with what the consumer takes; a stalled consumer holds little", async () => {
  const blobs = createMemoryBlobStore();
  const chunks = Array.from({ length: 200 }, (_, i) => noise(16_000, 300 + i)); // 3.2 MB in one pack
  const locs = await writeChunks(blobs, chunks, { compress: false, targetBytes: 8 << 20 });
  const { store, s } = countingStore(blobs);
  const budget = createBufferBudget(64 << 20);
  const reader = createChunkReader({ blobStore: store, storeId: STORE, budget });
  const it = reader.readInOrder(locs);
  assert.equal(Buffer.from((await it.next()).value!), Buffer.from(chunks[0]));
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(s.bytes <= 2 * READ_AHEAD_MIN_BYTES, `a consumer that took one chunk has ${s.bytes} bytes read for it`);
  assert.ok(budget.usedBytes <= 2 * READ_AHEAD_MIN_BYTES);
  const rest: Uint8Array[] = [];
  for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value);
  assert.equal(rest.map(hex), chunks.slice(1).map(hex));
  assert.ok(s.gets < 30, `read-ahead grew: ${s.gets} reads for 200 chunks`);
  assert.is(budget.usedBytes, 0);
});

test.run();
