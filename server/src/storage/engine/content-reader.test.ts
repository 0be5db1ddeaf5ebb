import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { digestOf } from "../../domain/digest.js";
import { isDomainError } from "../../domain/errors.js";
import type { BlobStore } from "../blob/blob-store.js";
import { createMemoryBlobStore } from "../blob/memory-blob-store.js";
import { createMemoryChunkIndex } from "./chunk-index.js";
import { createChunkReader } from "./chunk-reader.js";
import { type ContentDeps, readContentRange, verifyContent } from "./content-reader.js";
import { collect, concat, flipBit, jsonRecords, noise, streamOf } from "./engine-test-support.js";
import { ingestStream } from "./ingest.js";
import { locateRange } from "./manifest.js";
import { packKey } from "./pack-format.js";
import { createPackWriter } from "./pack-writer.js";

const STORE = "s1";
const SMALL = { minSize: 1024, avgSize: 4096, maxSize: 16384 };

/** Ingests `data` with small chunks and commits it; reads are counted. */
async function setup(data: Uint8Array) {
  const blobs = createMemoryBlobStore();
  const index = createMemoryChunkIndex();
  const packWriter = createPackWriter({ blobStore: blobs, storeId: STORE, targetBytes: 64 * 1024 });
  const r = await ingestStream(streamOf(data, 10_000), { storeId: STORE, index, packWriter, chunking: SMALL });
  await index.insert(STORE, r.newLocations);
  const reads = { bytes: 0, gets: 0 };
  const counted: BlobStore = {
    ...blobs,
    get(key, range) {
      reads.gets++;
      reads.bytes += range?.length ?? 0;
      return blobs.get(key, range);
    },
  };
  const deps: ContentDeps = { storeId: STORE, index, reader: createChunkReader({ blobStore: counted, storeId: STORE }) };
  return { blobs, index, r, deps, reads };
}

const data = concat([jsonRecords(3000), noise(100_000, 1), jsonRecords(2000, (i) => i % 7 === 0)]);

test("any range reads exactly the bytes of the content", async () => {
  const { r, deps } = await setup(data);
  assert.ok(r.chunksTotal > 50);
  await fc.assert(
    fc.asyncProperty(fc.nat(), fc.nat(), async (a, b) => {
      const offset = a % (data.length + 1);
      const length = b % 40_000;
      const got = await collect(readContentRange(deps, r.manifest, offset, length));
      assert.equal(Buffer.from(got), Buffer.from(data.subarray(offset, offset + length)));
    }),
    { numRuns: 60, seed: 3 },
  );
  assert.equal(Buffer.from(await collect(readContentRange(deps, r.manifest, 0, data.length + 5))), Buffer.from(data));
});

test("a range read touches only the chunks holding the range", async () => {
  const { r, deps, reads } = await setup(data);
  const offset = Math.floor(data.length * 0.6);
  const span = locateRange(r.manifest, offset, 10_000);
  const wanted = new Set(r.manifest.entries.slice(span.first, span.end).map((e) => e.digest.toHex()));
  const storedWanted = r.newLocations.filter((l) => wanted.has(l.digest.toHex())).reduce((n, l) => n + l.length, 0);
  await collect(readContentRange(deps, r.manifest, offset, 10_000));
  assert.is(reads.bytes, storedWanted);
  assert.ok(reads.bytes < data.length / 20);
});

test("a corrupt chunk stops the read with DATA_LOSS after the bytes before it", async () => {
  const { blobs, r, deps } = await setup(data);
  const victim = r.manifest.entries[10];
  const loc = r.newLocations.find((l) => l.digest.equals(victim.digest))!;
  await flipBit(blobs, packKey(STORE, loc.packId), loc.offset + 5);
  const got: Uint8Array[] = [];
  try {
    for await (const c of readContentRange(deps, r.manifest, 0, data.length)) got.push(new Uint8Array(c));
    assert.unreachable();
  } catch (e) {
    assert.ok(isDomainError(e, "DataLoss"));
    assert.match((e as Error).message, victim.digest.toHex());
  }
  const prefix = concat(got);
  assert.ok(prefix.length <= r.manifest.offsets[10]);
  assert.equal(Buffer.from(prefix), Buffer.from(data.subarray(0, prefix.length)));
  // A range that avoids the chunk still reads.
  const after = r.manifest.offsets[11];
  assert.equal(Buffer.from(await collect(readContentRange(deps, r.manifest, after, 1000))), Buffer.from(data.subarray(after, after + 1000)));
});

test("a chunk missing from the index is DATA_LOSS", async () => {
  const { r, deps } = await setup(data);
  const fresh = { ...deps, index: createMemoryChunkIndex() };
  try {
    await collect(readContentRange(fresh, r.manifest, 0, 10));
    assert.unreachable();
  } catch (e) {
    assert.ok(isDomainError(e, "DataLoss"));
    assert.match((e as Error).message, /not in the chunk index/);
  }
});

test("verifyContent reports every damaged chunk and a wrong content hash", async () => {
  const { blobs, r, deps } = await setup(data);
  const expected = { size: r.size, sha256: r.sha256 };
  let progress = 0;
  const healthy = await verifyContent(deps, r.manifest, expected, { onProgress: (n) => (progress = n) });
  assert.equal(healthy.problems, []);
  assert.is(healthy.bytesChecked, data.length);
  assert.is(progress, data.length);
  const wrong = await verifyContent(deps, r.manifest, { size: r.size, sha256: digestOf(new Uint8Array(1)) });
  assert.equal(wrong.problems.map((p) => p.subject), ["content"]);
  const victims = [3, 30].map((i) => r.manifest.entries[i].digest);
  for (const v of victims) {
    const loc = r.newLocations.find((l) => l.digest.equals(v))!;
    await flipBit(blobs, packKey(STORE, loc.packId), loc.offset);
  }
  const damaged = await verifyContent(deps, r.manifest, expected);
  const subjects = new Set(damaged.problems.map((p) => p.subject));
  assert.equal([...subjects].sort(), victims.map((v) => `chunk ${v.toHex()}`).sort());
  assert.ok(damaged.bytesChecked < data.length);
});

test.run();
