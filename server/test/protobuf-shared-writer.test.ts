/**
 * The patched toBinary (patches/@bufbuild+protobuf+2.17.0.patch) keeps one BinaryWriter between
 * calls: a large message no longer costs a series of growing buffers each time, every result is a
 * copy of its own, and a serialization that throws leaves nothing behind for the next one.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ChunkEncoding, UploadChunksRequestSchema } from "../../gen/vellum/v1/upload_service_pb.js";

const message = (fill: number, size = 1024 * 1024) =>
  create(UploadChunksRequestSchema, { storeId: "s", chunk: new Uint8Array(size).fill(fill), encoding: ChunkEncoding.IDENTITY, size: BigInt(size) });

/** Buffers of at least 64 KiB made with `new Uint8Array(n)` while `f` runs (a writer growing its buffer). */
function largeAllocations(f: () => void): number {
  const original = globalThis.Uint8Array;
  let count = 0;
  globalThis.Uint8Array = new Proxy(original, {
    construct(target, args, newTarget) {
      if (typeof args[0] === "number" && args[0] >= 64 * 1024) count++;
      return Reflect.construct(target, args, newTarget);
    },
  });
  try {
    f();
  } finally {
    globalThis.Uint8Array = original;
  }
  return count;
}

test("twenty 1 MiB messages grow a writer's buffer once, not twenty times", () => {
  toBinary(UploadChunksRequestSchema, message(1)); // the kept writer reaches its size
  const messages = Array.from({ length: 20 }, (_, i) => message(i));
  const grown = largeAllocations(() => {
    for (const m of messages) toBinary(UploadChunksRequestSchema, m);
  });
  assert.ok(grown <= 2, `${grown} large buffers for 20 messages`);
});

test("each result is a copy of its own, exactly the message", () => {
  const a = toBinary(UploadChunksRequestSchema, message(7));
  const b = toBinary(UploadChunksRequestSchema, message(9, 1000));
  assert.is(fromBinary(UploadChunksRequestSchema, a).chunk.every((x) => x === 7), true, "the first result is not overwritten by the second call");
  assert.is(fromBinary(UploadChunksRequestSchema, a).chunk.length, 1024 * 1024);
  const decoded = fromBinary(UploadChunksRequestSchema, b);
  assert.is(decoded.chunk.length, 1000);
  assert.is(decoded.size, 1000n);
  assert.ok(a.buffer !== b.buffer && b.byteLength === b.buffer.byteLength, "results do not share the writer's buffer");
});

test("a serialization that throws halfway leaves nothing for the next one", () => {
  const bad = message(3);
  bad.encoding = 1.5 as ChunkEncoding; // written after `chunk`: fails with the chunk's bytes already in the writer
  assert.throws(() => toBinary(UploadChunksRequestSchema, bad), /int32/);
  const next = toBinary(UploadChunksRequestSchema, create(UploadChunksRequestSchema, { storeId: "after" }));
  assert.equal(fromBinary(UploadChunksRequestSchema, next).storeId, "after");
  assert.is(next.length, 7, "only the one field");
});

test.run();
