import type { MatchState, PathMatcher } from "./path-glob.js";

/**
 * A canonical string for a JSON value: object keys sorted, members the matcher ignores left out.
 * Two values have the same canonical string exactly when they are equal as JSON once ignored
 * members are removed, so it serves as the element identity for index-based array diffs.
 */
export function canonicalJson(value: unknown, matcher?: PathMatcher, state?: MatchState): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ",";
      out += canonicalJson(value[i], matcher, matcher && state ? matcher.step(state, i) : undefined);
    }
    return out + "]";
  }
  const obj = value as Record<string, unknown>;
  let out = "{";
  let first = true;
  for (const key of Object.keys(obj).sort()) {
    const child = matcher && state ? matcher.step(state, key) : undefined;
    if (matcher && child && matcher.matched(child)) continue;
    out += (first ? "" : ",") + JSON.stringify(key) + ":" + canonicalJson(obj[key], matcher, child);
    first = false;
  }
  return out + "}";
}
