import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  type ChunkerOptions,
  DEFAULT_CHUNKER_OPTIONS,
  chunkBoundaries,
  chunkStream,
  chunkerOptionProblems,
  createChunker,
  cut,
  resolveChunkerOptions,
} from "./fastcdc.js";

const SMALL: ChunkerOptions = { minSize: 256, avgSize: 1024, maxSize: 4096 };

/** Deterministic pseudo-random bytes (mulberry32 low bytes). */
function randomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let a = seed | 0;
  for (let i = 0; i < length; i++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = (t ^ (t >>> 14)) & 0xff;
  }
  return out;
}

function jsonLines(count: number, salt = 0): Uint8Array {
  const lines = Array.from(
    { length: count },
    (_, i) => `{"id":${i},"name":"row ${(i * 7919 + salt) % 1000}","ok":${i % 3 === 0}}\n`,
  );
  return new TextEncoder().encode(lines.join(""));
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function pushAll(pieces: Uint8Array[], o: Partial<ChunkerOptions>): Uint8Array[] {
  const c = createChunker(o);
  return [...pieces.flatMap((p) => c.push(p)), ...c.finish()];
}

const endsOf = (chunks: Uint8Array[]): number[] => {
  let o = 0;
  return chunks.map((c) => (o += c.length));
};

const hexOf = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** 1 MiB of random bytes, then JSON lines, then zeros: 2 MiB in all. */
function goldenInput(): Uint8Array {
  const out = new Uint8Array(2 * 1024 * 1024);
  out.set(randomBytes(out.length / 2, 0x00c0ffee), 0);
  out.set(jsonLines(20000).subarray(0, out.length / 2), out.length / 2);
  return out;
}

// FORMAT GUARD: computed once with the documented algorithm and gear table. A failure means chunk
// boundaries moved, which breaks dedup against every stored snapshot: fix the change, not these.
test("golden boundaries with the default options", () => {
  assert.equal(chunkBoundaries(goldenInput()), [
    37801, 80949, 114437, 178064, 212130, 245940, 277956, 317711, 350984, 384995, 401927, 435293, 481028,
    517139, 575713, 629475, 646755, 682199, 721086, 761831, 797121, 831210, 883772, 942450, 995012, 1043005,
    1075414, 1115514, 1155455, 1193783, 1234568, 1274125, 1326630, 1362920, 1391566, 1430501, 1465289,
    1496832, 1551264, 1585204, 1601291, 1634319, 1681978, 1715978, 1755275, 1795832, 1830374, 1961446,
    2092518, 2097152,
  ]);
});

test("golden boundaries with small options", () => {
  const b = chunkBoundaries(goldenInput().subarray(0, 65536), SMALL);
  assert.is(b.length, 62);
  assert.equal(
    b.slice(0, 16),
    [932, 2082, 2757, 3784, 5064, 6160, 7234, 7542, 8580, 10362, 11551, 12906, 13878, 15280, 16529, 17533],
  );
});

test("defaults are the documented 8/32/128 KiB and valid", () => {
  assert.equal({ ...DEFAULT_CHUNKER_OPTIONS }, { minSize: 8192, avgSize: 32768, maxSize: 131072 });
  assert.equal(chunkerOptionProblems(DEFAULT_CHUNKER_OPTIONS), []);
  assert.equal(resolveChunkerOptions({ avgSize: 16384 }), { minSize: 8192, avgSize: 16384, maxSize: 131072 });
});

test("invalid options are rejected with every problem named", () => {
  assert.ok(chunkerOptionProblems({ minSize: 256, avgSize: 1000, maxSize: 4096 }).includes("avgSize must be a power of two"));
  assert.ok(
    chunkerOptionProblems({ minSize: 2048, avgSize: 1024, maxSize: 4096 }).includes(
      "sizes must satisfy minSize < avgSize < maxSize",
    ),
  );
  assert.ok(
    chunkerOptionProblems({ minSize: 256, avgSize: 1024, maxSize: 1024 }).includes(
      "sizes must satisfy minSize < avgSize < maxSize",
    ),
  );
  assert.equal(chunkerOptionProblems({ minSize: 1.5, avgSize: 1024, maxSize: 4096 }), ["minSize must be an integer"]);
  assert.ok(chunkerOptionProblems({ minSize: 16, avgSize: 1024, maxSize: 4096 }).includes("minSize must be at least 64"));
  assert.ok(
    chunkerOptionProblems({ minSize: 1024, avgSize: 8 << 20, maxSize: 32 << 20 }).includes(
      "maxSize must be at most 16777216",
    ),
  );
  assert.throws(() => createChunker({ avgSize: 3000 }), (e: unknown) => e instanceof RangeError && /power of two/.test(e.message));
  assert.throws(() => chunkBoundaries(new Uint8Array(10), { minSize: 0 }), (e: unknown) => e instanceof RangeError);
});

test("boundaries do not depend on how the input is split across pushes", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 60_000 }),
      fc.integer(),
      fc.array(fc.integer({ min: 0, max: 60_000 }), { maxLength: 40 }),
      fc.boolean(),
      (length, seed, cuts, text) => {
        const data = text ? jsonLines(length / 40 + 1, seed).subarray(0, length) : randomBytes(length, seed);
        const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
        const pieces: Uint8Array[] = [];
        let prev = 0;
        for (const p of [...points, data.length]) {
          pieces.push(data.subarray(prev, p)); // includes empty pushes
          prev = p;
        }
        const chunks = pushAll(pieces, SMALL);
        assert.equal(endsOf(chunks), chunkBoundaries(data, SMALL));
        assert.equal(hexOf(concat(chunks)), hexOf(data));
      },
    ),
    { numRuns: 150, seed: 20240501 },
  );
});

test("byte-at-a-time pushes give the same chunks as one push", () => {
  const data = randomBytes(20_000, 7);
  const single = pushAll([data], SMALL).map(hexOf);
  const bytes = pushAll(Array.from(data, (_, i) => data.subarray(i, i + 1)), SMALL).map(hexOf);
  assert.equal(bytes, single);
});

test("chunk sizes stay within [min, max]; only the last may be shorter", () => {
  const inputs = [
    randomBytes(3 << 20, 1),
    jsonLines(60_000),
    new Uint8Array(1 << 20), // zeros never match a mask: every chunk is cut at maxSize
    randomBytes(5000, 2),
  ];
  for (const o of [SMALL, DEFAULT_CHUNKER_OPTIONS, { minSize: 64, avgSize: 256, maxSize: 300 }]) {
    for (const data of inputs) {
      const b = chunkBoundaries(data, o);
      assert.is(b[b.length - 1], data.length);
      b.forEach((end, i) => {
        const size = end - (i === 0 ? 0 : b[i - 1]);
        assert.ok(size <= o.maxSize, `chunk ${i} of ${size} bytes exceeds max`);
        if (i < b.length - 1) assert.ok(size >= o.minSize, `chunk ${i} of ${size} bytes is under min`);
        else assert.ok(size > 0);
      });
    }
  }
  assert.ok(chunkBoundaries(new Uint8Array(1 << 20), SMALL).every((e) => e % SMALL.maxSize === 0));
});

test("mean chunk size on random data is near avgSize", () => {
  const data = randomBytes(4 << 20, 3);
  const mean = data.length / chunkBoundaries(data, SMALL).length;
  // Cut-point skipping plus normalization put the mean a little above avgSize.
  assert.ok(mean > SMALL.avgSize * 0.9 && mean < SMALL.avgSize * 1.4, `mean ${mean}`);
});

test("an edit changes only nearby chunks; all chunks after re-synchronization are unchanged", () => {
  const base = randomBytes(300_000, 11);
  const baseChunks = pushAll([base], SMALL);
  const baseSet = new Set(baseChunks.map(hexOf));
  let totalNew = 0;
  fc.assert(
    fc.property(
      fc.integer({ min: 1000, max: base.length - 1000 }), // an edit in the middle
      fc.constantFrom("insert", "delete", "flip"),
      fc.integer({ min: 1, max: 200 }),
      (pos, kind, n) => {
        const edited =
          kind === "insert"
            ? concat([base.subarray(0, pos), randomBytes(n, pos), base.subarray(pos)])
            : kind === "delete"
              ? concat([base.subarray(0, pos), base.subarray(Math.min(base.length, pos + n))])
              : (() => {
                  const c = base.slice();
                  c[pos] ^= 1 << n % 8;
                  return c;
                })();
        const chunks = pushAll([edited], SMALL);
        // Every chunk ending before the edit is unchanged.
        let o = 0;
        for (const c of chunks) {
          if (o + c.length > pos) break;
          assert.ok(baseSet.has(hexOf(c)));
          o += c.length;
        }
        // After the edit the chunker falls back onto the old cut points: from then on the chunk
        // sequence is exactly the old suffix.
        const changed = chunks.filter((c) => !baseSet.has(hexOf(c))).length;
        const lastChanged = chunks.findLastIndex((c) => !baseSet.has(hexOf(c)));
        const suffix = chunks.slice(lastChanged + 1).map(hexOf);
        assert.equal(suffix, baseChunks.slice(baseChunks.length - suffix.length).map(hexOf));
        assert.ok(changed >= 1 && changed <= 20, `${changed} chunks changed`);
        totalNew += changed;
      },
    ),
    { numRuns: 200, seed: 7 },
  );
  // Typically a single edit rewrites one chunk, sometimes a few more.
  assert.ok(totalNew / 200 < 2, `mean ${totalNew / 200} changed chunks per edit`);
});

test("cut finds the first boundary and returns the buffer end when there is none", () => {
  const data = randomBytes(50_000, 5);
  const b = chunkBoundaries(data, SMALL);
  assert.is(cut(data, 0, SMALL), b[0]);
  assert.is(cut(data, b[3], SMALL), b[4]);
  assert.is(cut(data.subarray(0, 100), 0, SMALL), 100);
});

test("the chunker copies its incomplete tail instead of keeping the pushed buffer", () => {
  const data = randomBytes(3000, 9); // shorter than maxSize and usually without a boundary
  const expected = pushAll([data], SMALL).map(hexOf);
  const c = createChunker(SMALL);
  const scratch = data.slice();
  const first = c.push(scratch).map((x) => hexOf(x)); // consume views before reuse
  scratch.fill(0xaa); // the caller reuses its buffer
  assert.equal([...first, ...c.finish().map(hexOf)], expected);
  assert.equal(c.finish(), []);
});

test("chunkStream yields the same chunks as the chunker", async () => {
  const data = jsonLines(20_000);
  async function* source() {
    for (let o = 0; o < data.length; o += 777) yield data.subarray(o, o + 777);
  }
  const out: Uint8Array[] = [];
  for await (const chunk of chunkStream(source(), SMALL)) out.push(chunk);
  assert.equal(endsOf(out), chunkBoundaries(data, SMALL));
  const empty: Uint8Array[] = [];
  for await (const chunk of chunkStream((async function* () {})(), SMALL)) empty.push(chunk);
  assert.equal(empty, []);
});

test.run();
