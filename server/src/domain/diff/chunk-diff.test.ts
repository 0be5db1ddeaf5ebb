import { test } from "uvu";
import * as assert from "uvu/assert";
import { digestOf } from "../digest.js";
import { isDomainError } from "../errors.js";
import { diffChunks, type ManifestChunk } from "./chunk-diff.js";

/** A manifest of contiguous chunks whose digests are of the given labels (contents never needed). */
function manifest(...chunks: [label: string, length: number][]): ManifestChunk[] {
  return manifestOf(chunks);
}

function manifestOf(chunks: [label: string, length: number][]): ManifestChunk[] {
  let offset = 0;
  return chunks.map(([label, length]) => {
    const c = { digest: digestOf(new TextEncoder().encode(label)), offset, length };
    offset += length;
    return c;
  });
}

test("identical manifests: nothing changed", () => {
  const m = manifest(["a", 100], ["b", 100]);
  const d = diffChunks(m, m);
  assert.equal(d.changedRanges, []);
  assert.equal(d.removedRanges, []);
  assert.equal(d.movedRanges, []);
  assert.equal(d.counts, { leftChunks: 2, rightChunks: 2, unchanged: 2, moved: 0, changed: 0, removed: 0 });
  assert.is(d.bytesChanged, 0);
  assert.is(d.rightSize, 200);
});

test("changed chunks give byte ranges of the right snapshot, merged when adjacent", () => {
  const left = manifest(["a", 100], ["b", 100], ["c", 100], ["d", 100], ["e", 50]);
  const right = manifest(["a", 100], ["B", 100], ["C", 100], ["d", 100], ["E", 60]);
  const d = diffChunks(left, right);
  assert.equal(d.changedRanges, [{ offset: 100, length: 200 }, { offset: 400, length: 60 }]);
  assert.equal(d.removedRanges, [{ offset: 100, length: 200 }, { offset: 400, length: 50 }]);
  assert.is(d.bytesChanged, 260);
  assert.is(d.bytesRemoved, 250);
  assert.equal(d.counts, { leftChunks: 5, rightChunks: 5, unchanged: 2, moved: 0, changed: 3, removed: 3 });
});

test("an insertion shifts later chunks: they are moved, not changed (content-defined chunking)", () => {
  const left = manifest(["a", 100], ["b", 100], ["c", 100]);
  const right = manifest(["a", 100], ["new", 30], ["b", 100], ["c", 100]);
  const d = diffChunks(left, right);
  assert.equal(d.changedRanges, [{ offset: 100, length: 30 }]);
  assert.equal(d.movedRanges, [{ offset: 130, length: 200, fromOffset: 100 }]);
  assert.equal(d.removedRanges, []);
  assert.equal(d.counts, { leftChunks: 3, rightChunks: 4, unchanged: 1, moved: 2, changed: 1, removed: 0 });
});

test("a moved run only merges while it also continues on the left", () => {
  const left = manifest(["a", 10], ["b", 10], ["c", 10]);
  const right = manifest(["c", 10], ["a", 10], ["b", 10]);
  const d = diffChunks(left, right);
  assert.equal(d.movedRanges, [
    { offset: 0, length: 10, fromOffset: 20 },
    { offset: 10, length: 20, fromOffset: 0 },
  ]);
  assert.is(d.bytesChanged, 0);
});

test("empty manifests and hex digests", () => {
  const hex = digestOf(new Uint8Array([1])).toHex();
  const d = diffChunks([], [{ digest: hex, offset: 0, length: 5 }]);
  assert.equal(d.changedRanges, [{ offset: 0, length: 5 }]);
  assert.is(d.leftSize, 0);
  assert.equal(diffChunks([{ digest: hex, offset: 0, length: 5 }], []).removedRanges, [{ offset: 0, length: 5 }]);
});

test("corrupt manifests fail with DataLoss", () => {
  const good = manifest(["a", 10]);
  const cases: ManifestChunk[][] = [
    [{ ...good[0], offset: 5 }],
    [good[0], { ...good[0], offset: 5 }],
    [{ ...good[0], length: 0 }],
    [{ digest: "not-a-digest", offset: 0, length: 1 }],
  ];
  for (const bad of cases) {
    try {
      diffChunks(good, bad);
      assert.unreachable("should fail");
    } catch (e) {
      assert.ok(isDomainError(e, "DataLoss"));
    }
  }
});

test("many chunks: 50k chunks with 1% changed", () => {
  const labels = Array.from({ length: 50_000 }, (_, i) => `c${i}`);
  const left = manifestOf(labels.map((l) => [l, 4096]));
  const right = manifestOf(labels.map((l, i) => [i % 100 === 0 ? `${l}'` : l, 4096]));
  const d = diffChunks(left, right);
  assert.is(d.counts.changed, 500);
  assert.is(d.changedRanges.length, 500);
  assert.is(d.bytesChanged, 500 * 4096);
  assert.is(d.counts.unchanged, 49_500);
});

test.run();
