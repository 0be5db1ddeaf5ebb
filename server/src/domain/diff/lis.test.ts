import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { longestIncreasingSubsequence } from "./lis.js";

/** O(n²) reference: length of the longest strictly increasing subsequence. */
function lisLength(values: number[]): number {
  const best = values.map(() => 1);
  for (let i = 0; i < values.length; i++) for (let j = 0; j < i; j++) if (values[j] < values[i]) best[i] = Math.max(best[i], best[j] + 1);
  return Math.max(0, ...best);
}

test("examples", () => {
  assert.equal(longestIncreasingSubsequence([]), []);
  assert.equal(longestIncreasingSubsequence([5]), [0]);
  assert.equal(longestIncreasingSubsequence([0, 1, 2]), [0, 1, 2]);
  assert.is(longestIncreasingSubsequence([2, 1, 0]).length, 1);
  assert.equal(longestIncreasingSubsequence([3, 0, 1, 4, 2]).map((i) => [3, 0, 1, 4, 2][i]), [0, 1, 2]);
});

test("property: indices ascend, values strictly increase, and the length is maximal", () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 40 }), (values) => {
      const idx = longestIncreasingSubsequence(values);
      for (let k = 1; k < idx.length; k++) {
        assert.ok(idx[k - 1] < idx[k]);
        assert.ok(values[idx[k - 1]] < values[idx[k]]);
      }
      assert.is(idx.length, lisLength(values));
    }),
    { numRuns: 300 },
  );
});

test.run();
