/**
 * Longest strictly increasing subsequence (patience sorting, O(n log n)). Returns the indices into
 * `values` of one longest subsequence, in ascending order.
 *
 * Keyed array diffs use it: when both sides hold each key once, the common keys form two
 * permutations of the same set, and their longest common subsequence is exactly the longest
 * increasing run of right-hand positions taken in left order. That is linearithmic where a
 * general LCS on a reversed list is quadratic.
 */
export function longestIncreasingSubsequence(values: readonly number[]): number[] {
  const tails: number[] = []; // tails[k]: index of the smallest tail of an increasing run of length k+1
  const prev = new Int32Array(values.length).fill(-1);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (values[tails[mid]] < v) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[i] = tails[lo - 1];
    tails[lo] = i;
  }
  const out = new Array<number>(tails.length);
  let k = tails.length > 0 ? tails[tails.length - 1] : -1;
  for (let j = tails.length - 1; j >= 0; j--) {
    out[j] = k;
    k = prev[k];
  }
  return out;
}
