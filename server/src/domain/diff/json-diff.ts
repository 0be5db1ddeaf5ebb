import { failedPrecondition, invalidField } from "../errors.js";
import { DiffContext, type Site } from "./diff-context.js";
import { diffArrayPair } from "./json-diff-arrays.js";
import type { JsonDiff, JsonDiffOptions } from "./json-diff-types.js";
import { compilePathPatterns } from "./path-glob.js";

export type { DiffCounts, JsonDiff, JsonDiffOptions, JsonPatchOp, PathChange } from "./json-diff-types.js";

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
type Shape = "object" | "array" | "scalar";
const shapeOf = (v: unknown): Shape =>
  v === null || typeof v !== "object" ? "scalar" : Array.isArray(v) ? "array" : "object";

/**
 * Structural diff of two JSON values (as produced by `JSON.parse`).
 *
 * Returns an RFC 6902 patch that turns `left` into `right`, a per-path summary and counts.
 * Invariant: applying `patch` to `left` yields `right`, except that members named by
 * `ignorePaths` keep whatever value the patch leaves there (the left one, or the one carried by
 * a larger added value): with `strip` removing ignored members from a document,
 * `strip(apply(left, patch)) == strip(right)`. No operation path and no summary path names an
 * ignored member.
 *
 * Objects are compared member by member (a summary entry per added, removed or changed member);
 * values of different shapes, and differing scalars, are `replace`d whole. Arrays are matched by
 * `arrayMatchKey` when it identifies their elements, else aligned by position (json-diff-arrays.ts).
 * Cost is linear in the size of both documents, plus the array alignments.
 *
 * Throws InvalidArgument for a malformed ignore pattern, FailedPrecondition JSON_TOO_DEEP for
 * documents nested deeper than `maxDepth` (default 1000).
 */
export function diffJson(left: unknown, right: unknown, opts: JsonDiffOptions = {}): JsonDiff {
  const matcher = opts.ignorePaths && opts.ignorePaths.length > 0 ? compilePathPatterns(opts.ignorePaths) : undefined;
  const keys = opts.arrayMatchKey === undefined ? [] : typeof opts.arrayMatchKey === "string" ? [opts.arrayMatchKey] : [...opts.arrayMatchKey];
  keys.forEach((k, i) => {
    if (k.length === 0) throw invalidField(`options.array_match_key[${i}]`, "must not be empty");
  });
  const ctx = new DiffContext(matcher, keys, opts.maxDepth ?? 1000);

  const node = (l: unknown, r: unknown, site: Site): void => {
    if (l === r) return;
    if (site.depth > ctx.maxDepth) throw tooDeep(ctx.maxDepth);
    const ls = shapeOf(l);
    if (ls !== shapeOf(r) || ls === "scalar") return ctx.replaced(site, l, r);
    if (ls === "array") return diffArrayPair(ctx, l as unknown[], r as unknown[], site, node);
    diffObjects(ctx, l as Record<string, unknown>, r as Record<string, unknown>, site, node);
  };

  try {
    node(left, right, ctx.rootSite());
  } catch (e) {
    if (e instanceof RangeError && /call stack/i.test(e.message)) throw tooDeep(ctx.maxDepth);
    throw e;
  }
  return { patch: ctx.patch, changes: ctx.changes, counts: ctx.counts };
}

const tooDeep = (max: number) => failedPrecondition(`JSON document nests deeper than ${max} levels`, "JSON_TOO_DEEP");

function diffObjects(
  ctx: DiffContext,
  left: Record<string, unknown>,
  right: Record<string, unknown>,
  site: Site,
  node: (l: unknown, r: unknown, site: Site) => void,
): void {
  for (const key of Object.keys(left)) {
    const child = ctx.child(site, key);
    if (ctx.ignored(child.leftState)) continue;
    if (!hasOwn(right, key) || ctx.ignored(child.rightState)) ctx.removed(child.path, child.leftPath, left[key]);
    else node(left[key], right[key], child);
  }
  for (const key of Object.keys(right)) {
    if (hasOwn(left, key) && !ctx.ignored(ctx.step(site.leftState, key))) continue;
    if (ctx.ignored(ctx.step(site.rightState, key))) continue;
    ctx.added(ctx.child(site, key).path, right[key]);
  }
}
