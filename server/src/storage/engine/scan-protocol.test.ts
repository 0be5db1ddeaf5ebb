import { test } from "uvu";
import * as assert from "uvu/assert";
import { digestOf } from "../../domain/digest.js";
import { fromWireRecords, toWireRecords } from "./scan-protocol.js";
import type { ChunkLocation } from "./types.js";

const loc = (i: number, over: Partial<ChunkLocation>): ChunkLocation => ({
  digest: digestOf(new TextEncoder().encode(`chunk ${i}`)),
  packId: "0f".repeat(16),
  offset: i * 40_000,
  length: 30_000 + i,
  plainSize: 32_768 + i,
  codec: "raw",
  encrypted: false,
  ...over,
});

const plain = (l: ChunkLocation) => ({ ...l, digest: l.digest.toHex() });

test("a group's locations cross threads unchanged: digests, offsets past 4 GiB, codecs and encryption", () => {
  const locations = [
    loc(0, {}),
    loc(1, { codec: "zstd" }),
    loc(2, { encrypted: true }),
    loc(3, { codec: "zstd", encrypted: true, offset: 2 ** 40 + 12_345 }),
    loc(4, { offset: Number.MAX_SAFE_INTEGER - 1, length: 1, plainSize: 0 }),
  ];
  const wire = toWireRecords(locations);
  assert.is(wire.digests.length, 5 * 32);
  // Structured clone, as postMessage does it.
  const back = fromWireRecords(structuredClone(wire));
  assert.equal(back.map(plain), locations.map(plain));
});

test("an empty group crosses as an empty list", () => {
  assert.equal(fromWireRecords(structuredClone(toWireRecords([]))), []);
});

test("a record with an unknown codec id is refused, not read as raw", () => {
  const wire = toWireRecords([loc(0, { codec: "zstd" })]);
  wire.fields[3] = 7;
  assert.throws(() => fromWireRecords(wire), /unknown codec id 7/);
});

test.run();
