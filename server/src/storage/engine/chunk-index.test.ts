import { test } from "uvu";
import * as assert from "uvu/assert";
import { digestOf } from "../../domain/digest.js";
import { createMemoryChunkIndex } from "./chunk-index.js";
import type { ChunkLocation } from "./types.js";

const d = (i: number) => digestOf(new Uint8Array([i]));
const loc = (i: number, packId = "a".repeat(32)): ChunkLocation => ({
  digest: d(i),
  packId,
  offset: 8 + i,
  length: 1,
  plainSize: 1,
  codec: "raw",
  encrypted: false,
});

test("findMissing, lookup and insert are per store", async () => {
  const idx = createMemoryChunkIndex();
  assert.equal((await idx.findMissing("s1", [d(1), d(2), d(1)])).map(String), [d(1), d(2)].map(String));
  await idx.insert("s1", [loc(1)]);
  assert.equal((await idx.findMissing("s1", [d(1), d(2)])).map(String), [String(d(2))]);
  assert.equal((await idx.findMissing("s2", [d(1)])).map(String), [String(d(1))]);
  const found = await idx.lookup("s1", [d(1), d(2)]);
  assert.equal([...found.keys()], [d(1).toHex()]);
  assert.is(found.get(d(1).toHex())!.offset, 9);
  assert.is((await idx.lookup("s2", [d(1)])).size, 0);
});

test("the first location of a digest wins", async () => {
  const idx = createMemoryChunkIndex();
  await idx.insert("s1", [loc(1, "a".repeat(32))]);
  await idx.insert("s1", [loc(1, "b".repeat(32))]);
  assert.is((await idx.lookup("s1", [d(1)])).get(d(1).toHex())!.packId, "a".repeat(32));
});

test.run();
