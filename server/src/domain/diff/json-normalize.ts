import type { MatchState, PathMatcher } from "./path-glob.js";

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * A copy of `value` without the object members `matcher` names (each matched against its path in
 * this document). Array elements are never removed. This is the `strip` of diffJson's invariant.
 */
export function stripIgnored(value: unknown, matcher: PathMatcher, state: MatchState = matcher.root): unknown {
  if (value === null || typeof value !== "object" || state.length === 0) return value;
  if (Array.isArray(value)) return value.map((v, i) => stripIgnored(v, matcher, matcher.step(state, i)));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const child = matcher.step(state, k);
    if (!matcher.matched(child)) Object.defineProperty(out, k, { value: stripIgnored(v, matcher, child), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function keyOf(el: unknown, name: string): string | undefined {
  if (!isObject(el) || !Object.prototype.hasOwnProperty.call(el, name)) return undefined;
  const v = el[name];
  return typeof v === "string" ? `s${v}` : typeof v === "number" ? `n${v}` : undefined;
}

function keysOf(arr: unknown[], name: string): string[] | undefined {
  const keys: string[] = [];
  for (const el of arr) {
    const k = keyOf(el, name);
    if (k === undefined) return undefined;
    keys.push(k);
  }
  return new Set(keys).size === keys.length ? keys : undefined;
}

/**
 * A copy of `right` whose keyed arrays (see diffJson's `arrayMatchKey`) list the elements kept
 * from `left` in left-hand order, each new element following the kept element it follows on
 * the right. Text renderings of the two documents then show edits, not reorderings.
 */
export function alignKeyedArrays(left: unknown, right: unknown, matchKeys: readonly string[]): unknown {
  if (matchKeys.length === 0) return right;
  if (Array.isArray(left) && Array.isArray(right)) {
    for (const name of matchKeys) {
      const lKeys = keysOf(left, name);
      const rKeys = lKeys && keysOf(right, name);
      if (!lKeys || !rKeys) continue;
      const lIndex = new Map(lKeys.map((k, i) => [k, i]));
      const leading: unknown[] = [];
      const after = new Map<string, unknown[]>();
      let anchor: string | undefined;
      rKeys.forEach((k, ri) => {
        if (lIndex.has(k)) anchor = k;
        else if (anchor === undefined) leading.push(right[ri]);
        else if (after.has(anchor)) after.get(anchor)!.push(right[ri]);
        else after.set(anchor, [right[ri]]);
      });
      const rByKey = new Map(rKeys.map((k, i) => [k, right[i]]));
      const out = leading;
      lKeys.forEach((k, li) => {
        if (!rByKey.has(k)) return;
        out.push(alignKeyedArrays(left[li], rByKey.get(k), matchKeys));
        for (const el of after.get(k) ?? []) out.push(el);
      });
      return out;
    }
    return right.map((r, i) => (i < left.length ? alignKeyedArrays(left[i], r, matchKeys) : r));
  }
  if (isObject(left) && isObject(right)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(right)) {
      const aligned = Object.prototype.hasOwnProperty.call(left, k) ? alignKeyedArrays(left[k], v, matchKeys) : v;
      Object.defineProperty(out, k, { value: aligned, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return right;
}
