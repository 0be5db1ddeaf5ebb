import * as zlib from "node:zlib";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createPerCallZstdContexts, createReusedZstdContexts, createZstdContexts, isOneZstdFrame, type ZstdContextOptions, type ZstdContexts, zstdFrameLength } from "./zstd-context.js";

const text = (seed: number, bytes: number) => {
  let s = "";
  for (let i = 0; s.length < bytes; i++) s += `{"id":${seed * 100000 + i},"name":"item ${(i * 7919) % 997}","price":${i % 500}.25}\n`;
  return Buffer.from(s.slice(0, bytes));
};

test("this Node exposes what the reused contexts need", () => {
  assert.ok(createReusedZstdContexts(), "createReusedZstdContexts returned undefined: every caller would use per-call contexts");
  assert.ok(createPerCallZstdContexts());
  assert.ok(createZstdContexts());
});

/** One frame of `content` in a single raw block, declaring a window of 2^windowLog and no content size. */
const frameWithWindow = (content: Uint8Array, windowLog: number) => {
  const blockHeader = (content.length << 3) | 1; // raw block, the last one
  return Buffer.concat([
    Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, (windowLog - 10) << 3]),
    Buffer.from([blockHeader & 0xff, (blockHeader >> 8) & 0xff, blockHeader >> 16]),
    content,
  ]);
};

/** Both implementations behind createZstdContexts, held to the same contract. */
const IMPLEMENTATIONS: [string, (o?: ZstdContextOptions) => ZstdContexts | undefined][] = [
  ["reused", createReusedZstdContexts],
  ["per-call", createPerCallZstdContexts],
];

for (const [impl, create] of IMPLEMENTATIONS) {
  const ctx = create();

  test(`every frame is complete and independent, whatever was compressed before it (${impl})`, () => {
    const inputs = [text(1, 40_000), text(2, 100), text(3, 131_072), text(1, 40_000), Buffer.alloc(70_000, 7)];
    const frames = inputs.map((p) => ctx!.compress(p, 3));
    // Decoded out of order, by the stock one-shot decoder and by the reused one.
    for (const i of [4, 2, 0, 3, 1]) {
      assert.equal(zlib.zstdDecompressSync(frames[i]), inputs[i]);
      assert.equal(Buffer.from(ctx!.decompress(frames[i], inputs[i].length)), inputs[i]);
    }
    assert.equal(Buffer.from(frames[0]), Buffer.from(frames[3]), "same input, same frame: no state carried over");
  });

  test(`a frame is written into the given buffer when it fits there, else returned in its own (${impl})`, () => {
    const p = text(5, 60_000);
    const alone = ctx!.compress(p, 1);
    const room = new Uint8Array(new SharedArrayBuffer(200_000), 1000);
    const placed = ctx!.compress(p, 1, room);
    assert.equal(Buffer.from(placed), Buffer.from(alone), "the same frame");
    assert.equal(zlib.zstdDecompressSync(placed), p);
    if (impl === "reused") assert.ok(placed.buffer === room.buffer && placed.byteOffset === room.byteOffset, "written in place");
    const tight = ctx!.compress(p, 1, new Uint8Array(alone.length - 1));
    assert.equal(Buffer.from(tight), Buffer.from(alone), "too little room: the frame comes whole anyway");
  });

  test(`each level keeps its own parameters (${impl})`, () => {
    const p = text(9, 120_000);
    const sizes = [1, 19, 3, 19, 1].map((l) => ctx!.compress(p, l).length);
    assert.is(sizes[0], sizes[4]);
    assert.is(sizes[1], sizes[3]);
    assert.ok(new Set(sizes).size === 3, `levels 1, 3 and 19 give three different frames: ${sizes.join(" ")}`);
  });

  test(`frames made by the one-shot API decode too (chunks stored before contexts were reused) (${impl})`, () => {
    const p = text(4, 50_000);
    const old = zlib.zstdCompressSync(p, { pledgedSrcSize: p.length });
    assert.equal(Buffer.from(ctx!.decompress(old, p.length)), p);
  });

  test(`a damaged, truncated or mis-sized frame throws, and the next good frame still decodes (${impl})`, () => {
    const p = text(5, 60_000);
    const frame = ctx!.compress(p, 3);
    const damaged = Uint8Array.from(frame);
    damaged[damaged.length >> 1] ^= 0x04;
    const cases: [string, Uint8Array, number][] = [
      ["damaged", damaged, p.length],
      ["truncated", frame.subarray(0, frame.length - 9), p.length],
      ["longer than expected", frame, p.length - 1],
      ["shorter than expected", frame, p.length + 1],
      ["not zstd", p.subarray(0, 1000), p.length],
      ["without its checksum", frame.subarray(0, frame.length - 4), p.length],
      ["followed by other bytes", Buffer.concat([frame, Buffer.from([0])]), p.length],
      ["followed by another frame", Buffer.concat([frame, ctx!.compress(text(6, 100), 3)]), p.length],
    ];
    for (const [what, input, size] of cases) {
      assert.throws(() => ctx!.decompress(input, size), (e: unknown) => e instanceof RangeError, what);
      assert.equal(Buffer.from(ctx!.decompress(frame, p.length)), p, `after ${what}`);
    }
  });

  test(`zstdFrameLength walks headers and blocks of every frame kind node's zstd writes (${impl})`, () => {
    const inputs = [text(7, 0), text(7, 1), Buffer.alloc(300_000, 1), text(8, 500_000), Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 2654435761) >>> 24))];
    for (const p of inputs) {
      for (const frame of [ctx!.compress(p, 3), zlib.zstdCompressSync(p), zlib.zstdCompressSync(p, { pledgedSrcSize: p.length, params: { [zlib.constants.ZSTD_c_checksumFlag]: 1 } })]) {
        assert.is(zstdFrameLength(frame), frame.length, `${p.length} bytes`);
        assert.is(zstdFrameLength(Buffer.concat([frame, Buffer.alloc(5)])), frame.length, "trailing bytes are not part of the frame");
        for (const cut of [1, 3, 4, 5, frame.length >> 1]) if (cut < frame.length) assert.is(zstdFrameLength(frame.subarray(0, frame.length - cut)), undefined, `cut ${cut}`);
      }
    }
    assert.is(zstdFrameLength(text(1, 100)), undefined, "not a frame");
  });

  test(`no damaged, cut or padded frame leaves state behind: the next good frame always decodes (2,000 seeded mutations) (${impl})`, () => {
    const good = text(11, 50_000);
    const goodFrame = ctx!.compress(good, 1);
    const sources = [text(12, 40_000), text(13, 300), Buffer.alloc(20_000, 9)].map((p) => ({ p, frame: ctx!.compress(p, 1) }));
    let seed = 12345;
    const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    let decodedWrong = 0;
    for (let i = 0; i < 2000; i++) {
      const { p, frame } = sources[rand(sources.length)];
      let input: Uint8Array = Uint8Array.from(frame);
      const kind = rand(4);
      if (kind === 0) input[rand(input.length)] ^= 1 << rand(8); // a flipped bit
      else if (kind === 1) input = input.subarray(0, rand(input.length)); // cut short
      else if (kind === 2) input = Buffer.concat([input, Buffer.from([rand(256)])]); // a byte too many
      else input[4 + rand(Math.min(8, input.length - 4))] = rand(256); // a damaged header
      try {
        const out = ctx!.decompress(input, p.length);
        if (!Buffer.from(out).equals(p)) decodedWrong++; // possible only if the damage hit nothing the checksum covers
      } catch (e) {
        assert.instance(e, RangeError);
      }
      assert.ok(Buffer.from(ctx!.decompress(goodFrame, good.length)).equals(good), `good frame after mutation ${i} (kind ${kind})`);
    }
    assert.is(decodedWrong, 0, "the content checksum catches every change that decodes");
  });


  test(`windowLogMax: a frame needing a larger window fails, on every context the limit's contexts make (${impl})`, () => {
    const limited = create({ windowLogMax: 23 })!;
    const p = text(14, 3000);
    const within = frameWithWindow(p, 23);
    const beyond = frameWithWindow(p, 24);
    assert.equal(zlib.zstdDecompressSync(beyond), p, "the frame is valid zstd");
    assert.equal(Buffer.from(ctx!.decompress(beyond, p.length)), p, "the default limit takes it");
    const good = ctx!.compress(text(15, 90_000), 1);
    for (let i = 0; i < 3; i++) {
      // Each rejection drops the context; its replacement must keep the limit.
      assert.throws(() => limited.decompress(beyond, p.length), (e: unknown) => e instanceof RangeError, `round ${i}`);
      assert.equal(Buffer.from(limited.decompress(within, p.length)), p, `2^23 after a rejection, round ${i}`);
      assert.equal(Buffer.from(limited.decompress(good, 90_000)), text(15, 90_000), `a real frame after a rejection, round ${i}`);
      assert.throws(() => limited.decompress(beyond, p.length), (e: unknown) => e instanceof RangeError, `still limited after good frames, round ${i}`);
    }
  });

  test(`into: the content is written to the given buffer; a frame one byte longer than declared fails there too (${impl})`, () => {
    const p = text(16, 20_000);
    const frame = ctx!.compress(p, 1);
    const into = new Uint8Array(64 * 1024);
    const out = ctx!.decompress(frame, p.length, into);
    assert.is(out.buffer, into.buffer);
    assert.equal(Buffer.from(out), p);
    assert.throws(() => ctx!.decompress(frame, p.length - 1, into), (e: unknown) => e instanceof RangeError);
    assert.equal(Buffer.from(ctx!.decompress(frame, p.length, into)), p);
  });

  test(`a frame that exactly fills 16 KiB is one frame, and so is every frame around that size (${impl})`, () => {
    // zstdCompressSync with its default 16 KiB output chunks appended an empty second frame to a
    // frame that filled one chunk exactly.
    const base = Buffer.from(Array.from({ length: 4000 }, (_, i) => `${i}\t${(Math.imul(i, 2654435761) >>> 0).toString(36)}\titem ${(i * 7919) % 997}\n`).join(""));
    const frameOf = (len: number) => ctx!.compress(base.subarray(0, len), 1);
    let lo = 16_384; // the frame size grows with the length: find where it passes 16 KiB, then look around
    let hi = base.length;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (frameOf(mid).length < 16_384) lo = mid;
      else hi = mid;
    }
    let exact = 0;
    for (let len = lo - 300; len < lo + 300; len++) {
      const frame = frameOf(len);
      if (frame.length === 16_384) exact++;
      assert.ok(isOneZstdFrame(frame), `${len} bytes: a ${frame.length}-byte frame`);
      assert.equal(Buffer.from(ctx!.decompress(frame, len)), base.subarray(0, len));
    }
    assert.ok(exact > 0, "some length gives a frame of exactly 16 KiB");
  });
}

test.run();
