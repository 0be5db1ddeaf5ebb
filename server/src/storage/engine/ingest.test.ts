import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHasher, digestOf } from "../../domain/digest.js";
import { createMemoryBlobStore } from "../blob/memory-blob-store.js";
import { type ChunkIndex, createMemoryChunkIndex } from "./chunk-index.js";
import { createChunkReader } from "./chunk-reader.js";
import { readContentRange } from "./content-reader.js";
import { collect, concat, jsonRecords, keysUnder, noise, streamOf } from "./engine-test-support.js";
import { type IngestOptions, type IngestResult, ingestStream } from "./ingest.js";
import { dataKeyId, generateDataKey } from "./kms.js";
import { createPackWriter } from "./pack-writer.js";
import { createContentWorkers } from "./content-workers.js";
import type { BlobStore } from "../blob/blob-store.js";

interface Env {
  blobs: BlobStore;
  index: ChunkIndex;
}

const env = (): Env => ({ blobs: createMemoryBlobStore(), index: createMemoryChunkIndex() });

/** Ingests and commits (inserts the new locations), as the caller's transaction would. */
async function ingest(
  e: Env,
  data: Uint8Array | AsyncIterable<Uint8Array>,
  o: Partial<IngestOptions> & { storeId?: string; packTarget?: number } = {},
): Promise<IngestResult> {
  const storeId = o.storeId ?? "s1";
  const packWriter = createPackWriter({ blobStore: e.blobs, storeId, targetBytes: o.packTarget ?? 1024 * 1024 });
  const source = data instanceof Uint8Array ? streamOf(data, 50_000) : data;
  const r = await ingestStream(source, { index: e.index, packWriter, ...o, storeId });
  await e.index.insert(storeId, r.newLocations);
  return r;
}

async function readAll(e: Env, r: IngestResult, storeId = "s1", dataKey?: Uint8Array): Promise<Uint8Array> {
  const reader = createChunkReader({ blobStore: e.blobs, storeId, dataKey });
  return collect(readContentRange({ storeId, index: e.index, reader }, r.manifest, 0, r.size));
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const uniqueDigests = (r: IngestResult) => new Set(r.manifest.entries.map((x) => x.digest.toHex())).size;

test("ingest hashes, chunks and stores content that reads back", async () => {
  const e = env();
  const data = jsonRecords(40_000); // about 3.6 MB
  const r = await ingest(e, data);
  assert.is(r.size, data.length);
  assert.ok(r.sha256.equals(digestOf(data)));
  assert.is(r.manifest.size, data.length);
  assert.is(r.chunksTotal, r.manifest.entries.length);
  assert.ok(r.chunksTotal > 20, `${r.chunksTotal} chunks`);
  assert.is(r.chunksNew, uniqueDigests(r));
  assert.is(r.newLocations.length, r.chunksNew);
  assert.is(r.storedBytesNew, r.newLocations.reduce((n, l) => n + l.length, 0));
  assert.ok(r.storedBytesNew < data.length / 4, "JSON compresses");
  assert.ok(r.newLocations.every((l) => l.codec === "zstd" && !l.encrypted));
  assert.equal((await keysUnder(e.blobs, "packs/s1/")).sort(), r.packs.map((p) => p.key).sort());
  assert.is(hex(await readAll(e, r)), hex(data));
});

test("a second ingest of the same data writes nothing", async () => {
  const e = env();
  const data = jsonRecords(30_000);
  await ingest(e, data);
  const packsBefore = await keysUnder(e.blobs, "packs/");
  const again = await ingest(e, data);
  assert.is(again.chunksNew, 0);
  assert.is(again.storedBytesNew, 0);
  assert.equal(again.packs, []);
  assert.equal(await keysUnder(e.blobs, "packs/"), packsBefore);
  assert.is(hex(await readAll(e, again)), hex(data));
});

test("an edited copy writes only the chunks around the edits", async () => {
  const e = env();
  const base = jsonRecords(40_000);
  const first = await ingest(e, base);
  // One record changed in the middle, and 100 bytes inserted near the end.
  const edited = jsonRecords(40_000, (i) => i === 20_000);
  const at = Math.floor(edited.length * 0.9);
  const copy = concat([edited.subarray(0, at), noise(100, 5), edited.subarray(at)]);
  const r = await ingest(e, copy);
  assert.ok(r.chunksNew >= 2 && r.chunksNew <= 8, `${r.chunksNew} new of ${r.chunksTotal}`);
  assert.ok(r.storedBytesNew < first.storedBytesNew / 5);
  assert.is(hex(await readAll(e, r)), hex(copy));
});

test("dedup inside one ingest: a repeated chunk is stored once", async () => {
  const e = env();
  const block = noise(600_000, 9);
  const data = concat([block, block, block]);
  const r = await ingest(e, data, { batchBytes: 100_000 }); // many index batches
  assert.is(r.chunksNew, uniqueDigests(r));
  assert.ok(r.chunksNew < r.chunksTotal * 0.5, `${r.chunksNew} of ${r.chunksTotal}`);
  assert.ok(r.storedBytesNew < block.length * 1.3);
  assert.ok(r.newLocations.every((l) => l.codec === "raw"));
  assert.is(hex(await readAll(e, r)), hex(data));
});

test("encrypted ingest: records are ciphertext, dedup stays within the store", async () => {
  const e = env();
  const dataKey = generateDataKey();
  const data = jsonRecords(20_000);
  const r = await ingest(e, data, { encryption: { dataKey } });
  assert.equal(r.encryption, { algorithm: "AES-256-GCM/chunk-v1", keyId: dataKeyId(dataKey) }, "the id of the data key that encrypted it");
  assert.ok(r.newLocations.every((l) => l.encrypted));
  for (const key of await keysUnder(e.blobs, "packs/")) {
    const pack = Buffer.from(await collect(e.blobs.get(key)));
    assert.is(pack.indexOf("example.com"), -1);
  }
  assert.is(hex(await readAll(e, r, "s1", dataKey)), hex(data));
  assert.is((await ingest(e, data, { encryption: { dataKey } })).chunksNew, 0);
  // Another store shares nothing, even for identical content.
  const other = await ingest(e, data, { storeId: "s2", encryption: { dataKey: generateDataKey() } });
  assert.is(other.chunksNew, uniqueDigests(other));
});

test("compress: false stores raw chunks; an empty stream gives an empty manifest", async () => {
  const e = env();
  const r = await ingest(e, jsonRecords(5000), { compress: false });
  assert.ok(r.newLocations.every((l) => l.codec === "raw"));
  assert.is(r.encryption, undefined);
  const empty = await ingest(e, new Uint8Array(0));
  assert.is(empty.size, 0);
  assert.is(empty.chunksTotal, 0);
  assert.ok(empty.sha256.equals(digestOf(new Uint8Array(0))));
  assert.is(empty.manifest.size, 0);
});

test("a failing source leaves no packs behind", async () => {
  const inner = createMemoryBlobStore();
  let puts = 0;
  const e: Env = {
    blobs: { ...inner, put: (k, b, o) => inner.put(k, b, o).then((info) => (puts++, info)) },
    index: createMemoryChunkIndex(),
  };
  async function* failing() {
    yield* streamOf(noise(3_000_000, 3), 100_000);
    throw new Error("client went away");
  }
  try {
    await ingest(e, failing(), { packTarget: 256 * 1024, batchBytes: 256 * 1024 });
    assert.unreachable();
  } catch (err) {
    assert.is((err as Error).message, "client went away");
  }
  assert.ok(puts > 2, `${puts} packs were written before the failure`);
  assert.equal(await keysUnder(e.blobs, "packs/"), []);
  puts = 0;
  const ac = new AbortController();
  async function* slow() {
    yield noise(500_000, 1);
    await new Promise((r) => setTimeout(r, 50)); // batches are written in the background: let packs land
    ac.abort(new Error("cancelled by caller"));
    yield noise(500_000, 2);
  }
  try {
    await ingest(e, slow(), { signal: ac.signal, packTarget: 64 * 1024, batchBytes: 64 * 1024 });
    assert.unreachable();
  } catch (err) {
    assert.is((err as Error).message, "cancelled by caller");
  }
  assert.ok(puts > 0);
  assert.equal(await keysUnder(e.blobs, "packs/"), []);
});

test("copyInput: false (fresh source buffers, kept as views) stores exactly what copying stores", async () => {
  const data = concat([jsonRecords(20_000), noise(900_000, 3), jsonRecords(5_000)]);
  const fresh = async function* () {
    for (let i = 0; i < data.length; i += 70_000) yield data.slice(i, i + 70_000); // a new buffer each time
  };
  const copied = await ingest(env(), fresh());
  const e = env();
  const viewed = await ingest(e, fresh(), { copyInput: false });
  assert.ok(viewed.sha256.equals(copied.sha256));
  assert.equal(viewed.manifest.entries.map((x) => x.digest.toHex()), copied.manifest.entries.map((x) => x.digest.toHex()));
  assert.is(viewed.storedBytesNew, copied.storedBytesNew);
  assert.is(hex(await readAll(e, viewed)), hex(data));
});

test("the worker scanner stores exactly what the inline scanner stores, its buffers recycled between batches", async () => {
  const workers = createContentWorkers({ workers: 1, windowBytes: 256 * 1024, pieceBytes: 64 * 1024 });
  try {
    const block = noise(300_000, 11);
    const data = concat([jsonRecords(20_000), block, noise(500_000, 12), block, jsonRecords(5_000)]);
    const inline = await ingest(env(), data, { batchBytes: 100_000 });
    for (const encryption of [undefined, { dataKey: generateDataKey() }]) {
      const e = env();
      const r = await ingest(e, streamOf(data, 70_000), { batchBytes: 100_000, scanner: workers.scan, encryption });
      assert.ok(r.sha256.equals(inline.sha256));
      assert.equal(r.manifest.entries.map((x) => x.digest.toHex()), inline.manifest.entries.map((x) => x.digest.toHex()));
      assert.is(r.chunksNew, inline.chunksNew);
      if (!encryption) assert.is(r.storedBytesNew, inline.storedBytesNew);
      // Packs were filled from recycled transfer buffers: every chunk must read back verified.
      assert.is(hex(await readAll(e, r, "s1", encryption?.dataKey)), hex(data));
    }
  } finally {
    await workers.close();
  }
});

test("64 MiB from a reused source buffer: correct content, bounded memory", async () => {
  const e = env();
  const piece = 1024 * 1024;
  const buf = new Uint8Array(piece);
  const text = jsonRecords(12_000).subarray(0, piece / 2);
  const expected = createHasher();
  async function* source() {
    for (let i = 0; i < 64; i++) {
      buf.set(noise(piece / 2, i), 0); // the same buffer is overwritten for every piece
      buf.set(text, piece / 2);
      buf[piece - 1] = i;
      expected.update(buf);
      yield buf;
    }
  }
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const r = await ingest(e, source(), { packTarget: 16 * 1024 * 1024 });
  clearInterval(timer);
  assert.is(r.size, 64 * piece);
  assert.ok(r.sha256.equals(expected.digest()));
  // The text halves repeat: they dedup.
  assert.ok(r.chunksNew < r.chunksTotal, `${r.chunksNew} of ${r.chunksTotal}`);
  const reader = createChunkReader({ blobStore: e.blobs, storeId: "s1" });
  const check = createHasher();
  for await (const c of readContentRange({ storeId: "s1", index: e.index, reader }, r.manifest, 0, r.size)) {
    check.update(c);
  }
  assert.ok(check.digest().equals(r.sha256));
  // Informational: the memory blob store itself holds the ~33 MB written, so RSS includes it.
  console.log(
    `  ingest 64 MiB: ${r.chunksTotal} chunks, ${r.chunksNew} new, stored ${(r.storedBytesNew / 2 ** 20).toFixed(1)} MiB,` +
      ` RSS growth ${((peak - rss0) / 2 ** 20).toFixed(0)} MiB`,
  );
});

test.run();
