import { test } from "uvu";
import * as assert from "uvu/assert";
import { digestOf } from "../../domain/digest.js";
import { isDomainError } from "../../domain/errors.js";
import { createMemoryBlobStore } from "../blob/memory-blob-store.js";
import { collect, flipBit, noise } from "./engine-test-support.js";
import { PACK_FOOTER_BYTES } from "./pack-format.js";
import { listPackIds, listPackLocations, readExact, readPackIndex } from "./pack-reader.js";
import { createPackWriter } from "./pack-writer.js";

const STORE = "store-p";

async function onePack() {
  const blobs = createMemoryBlobStore();
  const w = createPackWriter({ blobStore: blobs, storeId: STORE });
  for (let i = 0; i < 5; i++) {
    const data = noise(1000 + i, i);
    await w.add({ digest: digestOf(data), codec: "raw", encrypted: false, plainSize: data.length, data });
  }
  const [pack] = await w.finish();
  return { blobs, pack };
}

async function dataLoss(p: Promise<unknown>, pattern: RegExp) {
  try {
    await p;
  } catch (e) {
    assert.ok(isDomainError(e, "DataLoss"), String(e));
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable("expected DataLoss");
}

test("a damaged trailer is DATA_LOSS naming the pack", async () => {
  const { blobs, pack } = await onePack();
  const size = pack.size;
  const indexStart = pack.locations[4].offset + pack.locations[4].length;
  await flipBit(blobs, pack.key, indexStart + 3); // inside the index: checksum mismatch
  await dataLoss(readPackIndex(blobs, STORE, pack.packId), new RegExp(`pack ${pack.packId} is corrupt: .*checksum`));
  await flipBit(blobs, pack.key, indexStart + 3);
  assert.is((await readPackIndex(blobs, STORE, pack.packId)).length, 5);
  await flipBit(blobs, pack.key, size - 1); // footer magic
  await dataLoss(readPackIndex(blobs, STORE, pack.packId), /corrupt/);
  const whole = await collect(blobs.get(pack.key));
  await blobs.put(pack.key, whole.subarray(0, PACK_FOOTER_BYTES - 1));
  await dataLoss(readPackIndex(blobs, STORE, pack.packId), /too short/);
  await blobs.put(pack.key, whole.subarray(1));
  await dataLoss(readPackIndex(blobs, STORE, pack.packId), /corrupt/);
  await blobs.delete(pack.key);
  await dataLoss(readPackIndex(blobs, STORE, pack.packId), /missing/);
});

test("listing finds only pack objects of the store", async () => {
  const { blobs, pack } = await onePack();
  await blobs.put(`packs/${STORE}/zz/not-a-pack`, new Uint8Array(1));
  await blobs.put(`packs/${STORE}-other/${pack.packId.slice(0, 2)}/${pack.packId}`, new Uint8Array(1));
  const ids: string[] = [];
  for await (const id of listPackIds(blobs, STORE)) ids.push(id);
  assert.equal(ids, [pack.packId]);
  const all = [];
  for await (const locs of listPackLocations(blobs, STORE)) all.push(...locs);
  assert.equal(all.map((l) => l.digest.toHex()), pack.locations.map((l) => l.digest.toHex()));
});

test("readExact returns exactly the range or fails", async () => {
  const { blobs, pack } = await onePack();
  const l = pack.locations[2];
  const bytes = await readExact(blobs, pack.key, l.offset, l.length, "x");
  assert.is(bytes.length, l.length);
  await dataLoss(readExact(blobs, pack.key, pack.size - 5, 10, "tail"), /tail is truncated/);
  await dataLoss(readExact(blobs, "packs/none", 0, 1, "ghost"), /ghost is missing/);
});

test.run();
