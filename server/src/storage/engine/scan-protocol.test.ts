import { test } from "uvu";
import * as assert from "uvu/assert";
import { digestOf } from "../../domain/digest.js";
import { PLAIN_BUFFER_MAX_BYTES, fromWireRecords, plainLayout, toWireRecords } from "./scan-protocol.js";
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

test("plainLayout packs records back to back into buffers of at most PLAIN_BUFFER_MAX_BYTES, each with one spare byte", () => {
  const M = PLAIN_BUFFER_MAX_BYTES;
  const sizes = [100_000, 100_000, M - 200_001, 1, M + 5, 1, 0, 130_000];
  const { at, buffers } = plainLayout(sizes);
  assert.equal(at, [
    { buf: 0, offset: 0 },
    { buf: 0, offset: 100_000 },
    { buf: 0, offset: 200_000 }, // fills the buffer to M with its spare byte
    { buf: 1, offset: 0 }, // one more byte would not fit
    { buf: 2, offset: 0 }, // larger than a buffer: one of its own
    { buf: 3, offset: 0 },
    { buf: 3, offset: 1 },
    { buf: 3, offset: 1 },
  ]);
  assert.equal(buffers, [M, 2, M + 6, 130_002]);
  sizes.forEach((n, i) => assert.ok(at[i].offset + n + 1 <= buffers[at[i].buf], `record ${i} and a spare byte fit`));
  assert.equal(plainLayout([]), { at: [], buffers: [] });
});

test.run();
