import fastJsonPatch, { type Operation } from "fast-json-patch";
import { failedPrecondition } from "../errors.js";
import type { ComposeConflict, ComposeOutcome, Prefer } from "./types.js";

/** JSON values as JSON.parse returns them. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const isObject = (v: Json | undefined): v is { [k: string]: Json } => typeof v === "object" && v !== null && !Array.isArray(v);
const escape = (k: string) => k.replace(/~/g, "~0").replace(/\//g, "~1");
const same = (a: Json | undefined, b: Json | undefined): boolean => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
function canonical(v: Json | undefined): Json | undefined {
  if (Array.isArray(v)) return v.map((x) => canonical(x) as Json);
  if (isObject(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k]) as Json]));
  return v;
}

/**
 * Where each value of the composed document came from: the parent that last set it. A conflict is
 * reported between that parent and the one that disagrees.
 */
class Origins {
  private readonly map = new Map<string, number>();
  get(path: string): number {
    for (let p = path; ; p = p.slice(0, p.lastIndexOf("/"))) {
      const o = this.map.get(p);
      if (o !== undefined) return o;
      if (p === "") return 0;
    }
  }
  set(path: string, parent: number): void {
    this.map.set(path, parent);
  }
}

/**
 * OVERLAY (RFC 7396 JSON merge patch, in order): each later document is merged into the result key
 * by key, recursively; a null removes the key; a non-object replaces. A conflict is a value that a
 * later parent replaces or removes with something different: `prefer` right applies it (plain RFC
 * 7396), left keeps the earlier value, none keeps it and records the conflict.
 */
export function overlay(docs: Json[], prefer: Prefer): ComposeOutcome<Json> {
  const conflicts: ComposeConflict[] = [];
  const origins = new Origins();
  const merge = (target: Json | undefined, patch: Json, path: string, parent: number): Json | undefined => {
    if (!isObject(patch)) {
      if (target === undefined || same(target, patch)) return origins.set(path, parent), patch;
      return decide(target, patch, path, parent, "replaced");
    }
    if (!isObject(target)) {
      if (target !== undefined && prefer !== "right") {
        record(path, parent, "an object replaces a non-object");
        return target;
      }
      target = {};
    } else target = { ...target };
    for (const [k, v] of Object.entries(patch)) {
      const p = `${path}/${escape(k)}`;
      if (v === null) {
        if (!(k in target)) continue;
        if (prefer === "right") delete target[k];
        else record(p, parent, "removed");
        continue;
      }
      const merged = merge(target[k], v, p, parent);
      if (merged !== undefined) target[k] = merged;
    }
    return target;
  };
  const record = (path: string, parent: number, what: string) => {
    if (prefer === "none") conflicts.push({ path: path || "/", parents: [origins.get(path), parent], reason: `set by parent ${origins.get(path)}, ${what} by parent ${parent}` });
  };
  const decide = (target: Json, patch: Json, path: string, parent: number, what: string): Json => {
    if (prefer === "right") return origins.set(path, parent), patch;
    record(path, parent, what);
    return target;
  };
  let result: Json | undefined;
  docs.forEach((d, i) => {
    result = i === 0 ? (origins.set("", 0), d) : merge(result, d, "", i);
  });
  return { value: result ?? null, conflicts };
}

/**
 * UNION: objects are merged recursively; arrays are concatenated, except that object elements with
 * the same `id` are merged into one at the first one's position, and an element equal to one already
 * there is not added again. A conflict is a scalar (or a value of another type) that parents set
 * differently; `prefer` decides as in overlay.
 */
export function union(docs: Json[], prefer: Prefer): ComposeOutcome<Json> {
  const conflicts: ComposeConflict[] = [];
  const origins = new Origins();
  const idOf = (v: Json): string | undefined => (isObject(v) && (typeof v.id === "string" || typeof v.id === "number") ? JSON.stringify(v.id) : undefined);
  const merge = (a: Json, b: Json, path: string, parent: number): Json => {
    if (isObject(a) && isObject(b)) {
      const out = { ...a };
      for (const [k, v] of Object.entries(b)) {
        const p = `${path}/${escape(k)}`;
        if (k in out) out[k] = merge(out[k], v, p, parent);
        else (origins.set(p, parent), (out[k] = v));
      }
      return out;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      const out = [...a];
      for (const v of b) {
        const id = idOf(v);
        const at = id === undefined ? -1 : out.findIndex((x) => idOf(x) === id);
        if (at >= 0) out[at] = merge(out[at], v, `${path}/${at}`, parent);
        else if (!out.some((x) => same(x, v))) (origins.set(`${path}/${out.length}`, parent), out.push(v));
      }
      return out;
    }
    if (same(a, b)) return a;
    if (prefer === "right") return origins.set(path, parent), b;
    if (prefer === "none") conflicts.push({ path: path || "/", parents: [origins.get(path), parent], reason: `parents ${origins.get(path)} and ${parent} set different values` });
    return a;
  };
  origins.set("", 0);
  const value = docs.slice(1).reduce((acc, d, i) => merge(acc, d, "", i + 1), docs[0] ?? null);
  return { value, conflicts };
}

/**
 * PATCH: docs[0] is the document; every later doc must be an RFC 6902 patch (an array of
 * operations), applied in order. A failing `test` is a conflict: left skips that whole patch,
 * right skips only the test, none records it (and skips it). Any other operation that does not
 * apply fails with FAILED_PRECONDITION naming the parent and operation.
 */
export function patch(docs: Json[], prefer: Prefer): ComposeOutcome<Json> {
  const conflicts: ComposeConflict[] = [];
  let doc = structuredClone(docs[0] ?? null) as Json;
  for (let i = 1; i < docs.length; i++) {
    const ops = docs[i];
    if (!Array.isArray(ops)) throw failedPrecondition(`parent ${i} is not an RFC 6902 patch (a JSON array of operations)`, "INVALID_PATCH");
    const before = structuredClone(doc);
    let skipped = false;
    for (let j = 0; j < ops.length && !skipped; j++) {
      const op = ops[j] as unknown as Operation;
      // validate() also runs a `test` against the document: its failure is the conflict case.
      const problem = fastJsonPatch.validate([op], doc);
      if (problem && problem.name !== "TEST_OPERATION_FAILED") throw failedPrecondition(`parent ${i}, operation ${j} does not apply: ${problem.name}`, "INVALID_PATCH");
      if (problem) {
        if (prefer === "none") conflicts.push({ path: op.path || "/", parents: [0, i], reason: `test of parent ${i} (operation ${j}) fails` });
        if (prefer === "left") {
          doc = before;
          skipped = true;
        }
        continue;
      }
      doc = fastJsonPatch.applyOperation(doc, op, false, true, true).newDocument as Json;
    }
  }
  return { value: doc, conflicts };
}
