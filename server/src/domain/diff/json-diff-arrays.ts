import { diffArrays } from "diff";
import { canonicalJson } from "./canonical.js";
import type { DiffContext, Site } from "./diff-context.js";
import { childPointer } from "./json-pointer.js";
import { longestIncreasingSubsequence } from "./lis.js";

/** Diffs one pair of values at a site (the recursion back into json-diff.ts). */
export type NodeDiff = (left: unknown, right: unknown, site: Site) => void;

/**
 * Beyond this many element insertions plus deletions, the positional alignment gives up on a
 * minimal edit script and pairs the differing middle of the two arrays index by index, which
 * keeps the cost linear. The patch stays exact; it is only longer than it could be.
 */
const MAX_EDIT_LENGTH = 1000;

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** Diffs two arrays, by key when `ctx.matchKeys` identifies every element, else by position. */
export function diffArrayPair(ctx: DiffContext, left: unknown[], right: unknown[], site: Site, node: NodeDiff): void {
  if (left.length === 0 && right.length === 0) return;
  for (const name of ctx.matchKeys) {
    const lKeys = keysOf(left, name);
    const rKeys = lKeys && keysOf(right, name);
    if (lKeys && rKeys) return diffKeyed(ctx, left, right, lKeys, rKeys, site, node);
  }
  diffPositional(ctx, left, right, site, node);
}

/** Type-tagged key of each element, or undefined when `name` does not identify them all uniquely. */
function keysOf(arr: unknown[], name: string): string[] | undefined {
  const out = new Array<string>(arr.length);
  const seen = new Set<string>();
  for (let i = 0; i < arr.length; i++) {
    const el = arr[i];
    if (el === null || typeof el !== "object" || Array.isArray(el) || !hasOwn(el, name)) return undefined;
    const v = (el as Record<string, unknown>)[name];
    const key = typeof v === "string" ? `s${v}` : typeof v === "number" ? `n${v}` : undefined;
    if (key === undefined || seen.has(key)) return undefined;
    seen.add(key);
    out[i] = key;
  }
  return out;
}

/**
 * Keyed arrays. The patch removes vanished elements (highest index first), moves the elements
 * outside the longest run that kept its relative order, each to just after its right-hand
 * predecessor, inserts new elements in ascending right-hand order, and finally diffs each kept
 * element at its right-hand index. A reordered list thus costs one `move` per displaced element.
 */
function diffKeyed(
  ctx: DiffContext,
  left: unknown[],
  right: unknown[],
  lKeys: string[],
  rKeys: string[],
  site: Site,
  node: NodeDiff,
): void {
  const lIndex = new Map<string, number>();
  lKeys.forEach((k, i) => lIndex.set(k, i));
  const rIndex = new Map<string, number>();
  rKeys.forEach((k, i) => rIndex.set(k, i));

  for (let li = 0; li < left.length; li++) {
    if (!rIndex.has(lKeys[li])) ctx.removedEntry(childPointer(site.leftPath, li), left[li]);
  }
  for (let li = left.length - 1; li >= 0; li--) {
    if (!rIndex.has(lKeys[li])) ctx.removeOp(childPointer(site.path, li));
  }

  const kept = lKeys.filter((k) => rIndex.has(k)); // the array now, after the removals
  const stableIdx = longestIncreasingSubsequence(kept.map((k) => rIndex.get(k)!));
  if (stableIdx.length < kept.length) {
    const stable = new Set(stableIdx.map((i) => kept[i]));
    const target = rKeys.filter((k) => lIndex.has(k));
    const current = kept.slice();
    for (let j = 0; j < target.length; j++) {
      const key = target[j];
      if (stable.has(key)) continue;
      const from = current.indexOf(key);
      current.splice(from, 1);
      const to = j === 0 ? 0 : current.indexOf(target[j - 1]) + 1;
      current.splice(to, 0, key);
      if (from === to) continue;
      ctx.moved(
        childPointer(site.path, from),
        childPointer(site.path, to),
        childPointer(site.leftPath, lIndex.get(key)!),
        childPointer(site.path, rIndex.get(key)!),
      );
    }
  }

  for (let ri = 0; ri < right.length; ri++) {
    if (!lIndex.has(rKeys[ri])) ctx.added(childPointer(site.path, ri), right[ri]);
  }
  for (let ri = 0; ri < right.length; ri++) {
    const li = lIndex.get(rKeys[ri]);
    if (li !== undefined) node(left[li], right[ri], ctx.child(site, ri, li));
  }
}

/**
 * Positional arrays: elements are compared by canonical value (ignored members left out) and
 * aligned with jsdiff's `diffArrays`. In each run of differences, removed and inserted elements
 * are paired in order and diffed in place; the surplus is removed or inserted.
 */
function diffPositional(ctx: DiffContext, left: unknown[], right: unknown[], site: Site, node: NodeDiff): void {
  if (left.length === right.length && site.leftState.length === 0 && site.rightState.length === 0 && jsonEqual(left, right)) return;
  const ids = new Map<string, number>();
  const idsOf = (arr: unknown[], state: (i: number) => Site["leftState"]) =>
    arr.map((v, i) => {
      const st = state(i);
      const canon = canonicalJson(v, st.length > 0 ? ctx.matcher : undefined, st);
      let id = ids.get(canon);
      if (id === undefined) ids.set(canon, (id = ids.size));
      return id;
    });
  const lIds = idsOf(left, (i) => ctx.step(site.leftState, i));
  const rIds = idsOf(right, (i) => ctx.step(site.rightState, i));

  let li = 0;
  let ri = 0;
  const run = (removed: number, added: number) => {
    const paired = Math.min(removed, added);
    for (let k = 0; k < paired; k++) node(left[li + k], right[ri + k], ctx.child(site, ri + k, li + k));
    for (let k = paired; k < removed; k++) {
      ctx.removed(childPointer(site.path, ri + paired), childPointer(site.leftPath, li + k), left[li + k]);
    }
    for (let k = paired; k < added; k++) ctx.added(childPointer(site.path, ri + k), right[ri + k]);
    li += removed;
    ri += added;
  };

  const changes = diffArrays(lIds, rIds, { maxEditLength: MAX_EDIT_LENGTH });
  if (changes === undefined) {
    let head = 0;
    while (head < lIds.length && head < rIds.length && lIds[head] === rIds[head]) head++;
    let tail = 0;
    while (tail < lIds.length - head && tail < rIds.length - head && lIds[lIds.length - 1 - tail] === rIds[rIds.length - 1 - tail]) tail++;
    li = ri = head;
    run(lIds.length - head - tail, rIds.length - head - tail);
    return;
  }
  let removed = 0;
  let added = 0;
  for (const c of changes) {
    if (c.removed) removed += c.count;
    else if (c.added) added += c.count;
    else {
      if (removed + added > 0) run(removed, added);
      removed = added = 0;
      li += c.count;
      ri += c.count;
    }
  }
  if (removed + added > 0) run(removed, added);
}

/** Structural equality of two JSON values (member order ignored), without building strings. */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ak = Object.keys(a);
  if (ak.length !== Object.keys(b).length) return false;
  for (const k of ak) {
    if (!hasOwn(b, k) || !jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}
