import { test } from "uvu";
import * as assert from "uvu/assert";
import type { ContentFrame, ContentPiece } from "../domain/ports.js";
import { type DownloadPayload, downloadPayloads } from "./download-messages.js";

const sizes = { chunkBytes: 100, minZeroCopyBytes: 40, frameBytes: 50, framePlainBytes: 400 };

const frame = (bytes: Uint8Array, size: number, tag: number): ContentFrame => ({ frame: bytes, digest: new Uint8Array(32).fill(tag), size });

async function* from(pieces: ContentPiece[]): AsyncGenerator<ContentPiece> {
  yield* pieces;
}

async function all(pieces: ContentPiece[]): Promise<DownloadPayload[]> {
  const out: DownloadPayload[] = [];
  for await (const p of downloadPayloads(from(pieces), sizes)) out.push(p);
  return out;
}

test("plaintext and frames keep their order; runs of each are gathered within the message bounds", async () => {
  const pack = Uint8Array.from({ length: 90 }, (_, i) => i);
  const pieces: ContentPiece[] = [
    new Uint8Array(10).fill(1),
    new Uint8Array(10).fill(2),
    frame(pack.subarray(0, 20), 150, 1), // adjacent views of one buffer
    frame(pack.subarray(20, 40), 150, 2),
    frame(pack.subarray(40, 60), 150, 3), // would pass framePlainBytes (450 > 400): next message
    frame(new Uint8Array(30).fill(9), 100, 4), // another buffer: copied in; 20 + 30 = 50 bytes fit
    new Uint8Array(5).fill(3),
    frame(new Uint8Array(70).fill(8), 1000, 5), // beyond both bounds alone: a message of its own
  ];
  const out = await all(pieces);
  const kinds = out.map((p) => ("chunk" in p ? `chunk:${p.chunk.length}` : `frames:${p.frameLengths.join("+")}`));
  assert.equal(kinds, ["chunk:20", "frames:20+20", "frames:20+30", "chunk:5", "frames:70"]);
  const second = out[1] as Extract<DownloadPayload, { frames: Uint8Array }>;
  assert.is(second.frames.buffer, pack.buffer, "adjacent frames go out as one view, not copied");
  assert.equal([...second.frames], [...pack.subarray(0, 40)]);
  assert.equal(second.frameSizes, [150, 150]);
  assert.equal([...second.frameDigests], [...new Uint8Array(32).fill(1), ...new Uint8Array(32).fill(2)]);
  const third = out[2] as Extract<DownloadPayload, { frames: Uint8Array }>;
  assert.equal([...third.frames], [...pack.subarray(40, 60), ...new Uint8Array(30).fill(9)]);
  assert.equal(third.frameSizes, [150, 100]);
});

test("a large plaintext piece is cut into zero-copy slices of at most chunkBytes", async () => {
  const big = new Uint8Array(250).fill(7);
  const out = await all([big, frame(new Uint8Array(5), 10, 1), big.subarray(0, 1)]);
  const chunks = out.flatMap((p) => ("chunk" in p ? [p.chunk] : []));
  assert.equal(
    chunks.map((c) => c.length),
    [100, 100, 50, 1],
  );
  assert.ok(chunks.slice(0, 3).every((c) => c.buffer === big.buffer), "slices of the piece itself");
});

test("stopping early closes the source", async () => {
  let closed = false;
  async function* source(): AsyncGenerator<ContentPiece> {
    try {
      for (let i = 0; ; i++) yield frame(new Uint8Array(30), 100, i);
    } finally {
      closed = true;
    }
  }
  for await (const p of downloadPayloads(source(), sizes)) {
    assert.ok("frames" in p);
    break;
  }
  assert.ok(closed);
});

test("nothing in, nothing out", async () => {
  assert.equal(await all([]), []);
});

test.run();
