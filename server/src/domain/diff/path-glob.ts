import { invalidField } from "../errors.js";
import { parsePointer, type PathToken } from "./json-pointer.js";

/**
 * Ignore patterns: JSON Pointers whose segments may be globs. A segment `*` matches any one token
 * (an object key or an array index), a `*` inside a segment matches any run of characters within
 * that token (`/sync_*`), and a segment `**` matches zero or more tokens (`/**\/updated_at`).
 * A literal `*` in a key cannot be expressed. `~0` and `~1` escapes work as in RFC 6901.
 *
 * Matching is incremental: `step` moves a state one token down the tree, so a diff that walks a
 * large document pays per node only for the patterns that can still match there.
 */
type Segment = { kind: "any" } | { kind: "deep" } | { kind: "literal"; value: string } | { kind: "glob"; re: RegExp };

/** Positions reached in the compiled patterns, encoded as `pattern * 65536 + segment`. */
export type MatchState = readonly number[];

export interface PathMatcher {
  readonly root: MatchState;
  /** The state for a child reached through `token`. */
  step(state: MatchState, token: PathToken): MatchState;
  /** True when some pattern matches the whole path that led to `state`. */
  matched(state: MatchState): boolean;
  /** Convenience: true when some pattern matches the whole token path. */
  matches(path: readonly PathToken[]): boolean;
}

const EMPTY: MatchState = Object.freeze([]);

function compileSegment(seg: string): Segment {
  if (seg === "*") return { kind: "any" };
  if (seg === "**") return { kind: "deep" };
  if (!seg.includes("*")) return { kind: "literal", value: seg };
  const body = seg.split("*").map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("[\\s\\S]*");
  return { kind: "glob", re: new RegExp(`^${body}$`, "u") };
}

/**
 * Compiles ignore patterns. Throws `InvalidArgument` on `field` for a pattern that is not a
 * non-empty JSON Pointer (the root cannot be ignored) or has more than 1000 segments.
 */
export function compilePathPatterns(patterns: readonly string[], field = "options.ignore_paths"): PathMatcher {
  if (patterns.length > 65535) throw invalidField(field, "at most 65535 patterns");
  const compiled: Segment[][] = patterns.map((p, i) => {
    const tokens = parsePointer(p);
    if (tokens === undefined || tokens.length === 0) {
      throw invalidField(`${field}[${i}]`, 'must be a JSON Pointer such as "/updated_at" or "/variants/*/sync_time"');
    }
    if (tokens.length > 1000) throw invalidField(`${field}[${i}]`, "at most 1000 segments");
    return tokens.map(compileSegment);
  });

  const closure = (positions: number[]): MatchState => {
    const seen = new Set<number>();
    const out: number[] = [];
    const stack = positions.slice();
    while (stack.length > 0) {
      const code = stack.pop()!;
      if (seen.has(code)) continue;
      seen.add(code);
      out.push(code);
      const p = code >>> 16;
      const i = code & 0xffff;
      if (compiled[p][i]?.kind === "deep") stack.push(code + 1);
    }
    return out.length === 0 ? EMPTY : out;
  };

  const root = closure(compiled.map((_, p) => p * 65536));

  const step = (state: MatchState, token: PathToken): MatchState => {
    if (state.length === 0) return EMPTY;
    const key = typeof token === "number" ? String(token) : token;
    const next: number[] = [];
    for (const code of state) {
      const seg = compiled[code >>> 16][code & 0xffff];
      if (seg === undefined) continue;
      if (seg.kind === "deep") next.push(code);
      else if (seg.kind === "any" || (seg.kind === "literal" ? seg.value === key : seg.re.test(key))) next.push(code + 1);
    }
    return next.length === 0 ? EMPTY : closure(next);
  };

  const matched = (state: MatchState): boolean =>
    state.some((code) => (code & 0xffff) === compiled[code >>> 16].length);

  return {
    root,
    step,
    matched,
    matches: (path) => matched(path.reduce<MatchState>((s, t) => step(s, t), root)),
  };
}
