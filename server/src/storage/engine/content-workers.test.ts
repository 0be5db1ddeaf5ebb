import { test } from "uvu";
import * as assert from "uvu/assert";
import { chunkBoundaries } from "../../../../sdk/src/chunking/fastcdc.js";
import { digestOf } from "../../domain/digest.js";
import { type ChunkScanner, type ScannedChunk, inlineScanner } from "./content-scan.js";
import { concat, jsonRecords, noise, streamOf } from "./engine-test-support.js";
import { createContentWorkers } from "./content-workers.js";

const SMALL = { minSize: 1024, avgSize: 4096, maxSize: 16 * 1024 };
const workers = createContentWorkers({ workers: 2, windowBytes: 256 * 1024, pieceBytes: 64 * 1024 });
test.after(() => workers.close());

async function scanAll(scanner: ChunkScanner, source: AsyncIterable<Uint8Array>, copyInput = false) {
  const scan = scanner(source, { chunking: SMALL, copyInput });
  const chunks: ScannedChunk[] = [];
  for await (const batch of scan.batches) chunks.push(...batch);
  return { chunks, ...scan.result() };
}

const ends = (chunks: ScannedChunk[]) => chunks.reduce<number[]>((a, c) => [...a, (a.at(-1) ?? 0) + c.data.length], []);

test("worker scan equals the inline scan and the reference boundaries, however the input is split", async () => {
  const data = concat([jsonRecords(6_000), noise(300_000, 1), jsonRecords(2_000)]);
  const reference = chunkBoundaries(data, SMALL);
  const inline = await scanAll(inlineScanner, streamOf(data, 100_000));
  for (const piece of [1, 777, 65_536, 200_000, data.length]) {
    const source = piece === 1 ? streamOf(data.subarray(0, 5_000), 1) : streamOf(data, piece);
    const expected = piece === 1 ? chunkBoundaries(data.subarray(0, 5_000), SMALL) : reference;
    const r = await scanAll(workers.scan, source);
    assert.equal(ends(r.chunks), expected, `piece ${piece}`);
    const whole = piece === 1 ? data.subarray(0, 5_000) : data;
    assert.is(r.size, whole.length);
    assert.ok(r.sha256.equals(digestOf(whole)), `content digest, piece ${piece}`);
    assert.ok(r.chunks.every((c) => c.digest.equals(digestOf(c.data))), `chunk digests, piece ${piece}`);
    if (piece !== 1) assert.equal(r.chunks.map((c) => c.digest.toHex()), inline.chunks.map((c) => c.digest.toHex()));
  }
});

test("empty content: no chunks and the digest of nothing", async () => {
  const r = await scanAll(workers.scan, streamOf(new Uint8Array(0)));
  assert.is(r.chunks.length, 0);
  assert.is(r.size, 0);
  assert.ok(r.sha256.equals(digestOf(new Uint8Array(0))));
});

test("chunks are the scanner's copies: intact when the source reuses its buffer, until released", async () => {
  const data = noise(400_000, 2);
  const reused = new Uint8Array(50_000);
  const source = (async function* () {
    for (let at = 0; at < data.length; at += reused.length) {
      reused.set(data.subarray(at, at + reused.length));
      yield reused;
    }
  })();
  const scan = workers.scan(source, { chunking: SMALL, copyInput: false });
  const chunks: ScannedChunk[] = [];
  for await (const batch of scan.batches) {
    assert.ok(batch.every((c) => c.data.buffer !== reused.buffer), "not views of the source");
    chunks.push(...batch);
  }
  // Nothing was released, so every chunk still holds its bytes.
  assert.ok(chunks.every((c) => c.digest.equals(digestOf(c.data))));
  assert.is(Buffer.from(concat(chunks.map((c) => c.data))).compare(Buffer.from(data)), 0);
});

test("release(upTo) recycles only what ends before upTo: a batch held back stays intact", async () => {
  const data = concat([noise(900_000, 8), jsonRecords(5_000)]);
  const scan = workers.scan(streamOf(data, 40_000), { chunking: SMALL, copyInput: false });
  const digests: string[] = [];
  let held: ScannedChunk[] = []; // the previous batch, still "being written" as in the ingest
  let at = 0;
  for await (const batch of scan.batches) {
    assert.ok(held.every((c) => c.digest.equals(digestOf(c.data))), "the held batch is intact");
    const heldStart = at - held.reduce((n, c) => n + c.data.length, 0);
    scan.release(heldStart); // everything before the held batch
    digests.push(...batch.map((c) => c.digest.toHex()));
    at += batch.reduce((n, c) => n + c.data.length, 0);
    held = batch;
  }
  assert.ok(held.every((c) => c.digest.equals(digestOf(c.data))));
  const inline = await scanAll(inlineScanner, streamOf(data, 40_000));
  assert.equal(digests, inline.chunks.map((c) => c.digest.toHex()));
});

test("the source is read at most windowBytes (plus two of its buffers) ahead of the consumer", async () => {
  let read = 0;
  const scan = workers.scan((async function* () {
    for await (const p of streamOf(noise(2_000_000, 3), 32 * 1024)) yield ((read += p.length), p);
  })(), { chunking: SMALL, copyInput: false });
  const it = scan.batches[Symbol.asyncIterator]();
  let consumed = 0;
  for (let i = 0; i < 5; i++) {
    const { value } = await it.next();
    consumed += (value as ScannedChunk[]).reduce((n, c) => n + c.data.length, 0);
    await new Promise((r) => setTimeout(r, 20)); // let the pump run as far as it may
    assert.ok(read - consumed < 256 * 1024 + 2 * 32 * 1024, `read ${read}, consumed ${consumed}`);
  }
  await it.return!();
});

test("a maximum-size chunk larger than the window does not stall the scan", async () => {
  const big = { minSize: 64 * 1024, avgSize: 256 * 1024, maxSize: 1024 * 1024 }; // window is 256 KiB
  const data = new Uint8Array(3 * 1024 * 1024); // zeros: chunks run to the maximum size
  const scan = workers.scan(streamOf(data, 64 * 1024), { chunking: big, copyInput: false });
  let total = 0;
  for await (const batch of scan.batches) total += batch.reduce((n, c) => n + c.data.length, 0);
  assert.is(total, data.length);
  assert.ok(scan.result().sha256.equals(digestOf(data)));
});

test("a failing source fails the scan with the source's error; a stopped consumer stops reading", async () => {
  const boom = new Error("source broke");
  const failing = workers.scan((async function* () {
    yield noise(100_000, 4);
    throw boom;
  })(), { chunking: SMALL, copyInput: false });
  try {
    for await (const _ of failing.batches);
    assert.unreachable("should have failed");
  } catch (err) {
    assert.is(err, boom);
  }

  let pulls = 0;
  let returned = false;
  const endless = {
    [Symbol.asyncIterator]: () => ({
      next: async () => ((pulls++), { done: false, value: noise(64 * 1024, pulls) }),
      return: async () => ((returned = true), { done: true as const, value: undefined }),
    }),
  };
  const scan = workers.scan(endless, { chunking: SMALL, copyInput: false });
  for await (const _ of scan.batches) break;
  const at = pulls;
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(pulls <= at + 1, `stopped reading (${at} -> ${pulls})`);
  assert.ok(returned, "source closed");
  assert.throws(() => scan.result(), /before the scan finished/);

  // The workers still serve new scans.
  const r = await scanAll(workers.scan, streamOf(noise(50_000, 5)));
  assert.ok(r.sha256.equals(digestOf(noise(50_000, 5))));
});

test("closing the scanner fails the scans in flight and refuses new ones", async () => {
  const own = createContentWorkers({ workers: 1 });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const scan = own.scan((async function* () {
    yield noise(10_000, 6);
    await gate;
    yield noise(10_000, 7);
  })(), { chunking: SMALL, copyInput: false });
  const consumed = (async () => {
    for await (const _ of scan.batches);
  })();
  await new Promise((r) => setTimeout(r, 100));
  await own.close(); // terminates the worker underneath the scan, as a crash would
  release();
  await consumed.then(
    () => assert.unreachable("should have failed"),
    (err: Error) => assert.match(err.message, /chunk scan worker exited/),
  );
  assert.throws(() => own.scan(streamOf(new Uint8Array(1)), { copyInput: false }), /closed/);
});

test.run();
