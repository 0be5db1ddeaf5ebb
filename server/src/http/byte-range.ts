/** Outcome of evaluating a `Range` request header against a representation of `size` bytes. */
export type RangeDecision =
  | { kind: "full" }
  | { kind: "partial"; start: number; end: number }
  | { kind: "unsatisfiable" };

const SPEC_RE = /^\s*(\d*)\s*-\s*(\d*)\s*$/;

/**
 * Evaluates a single-range `Range` header (RFC 9110 §14.1.2): `bytes=a-b`, `bytes=a-` and the
 * suffix form `bytes=-n`; `end` is inclusive and clamped to the last byte.
 * - no header, another unit, several ranges, or an `If-Range` that does not match: the full
 *   representation (servers may ignore Range);
 * - malformed `bytes=` specifiers (`5-2`, `-`, `x-1`) and ranges that start at or past the end
 *   (including any range of an empty representation and `bytes=-0`): unsatisfiable (416).
 */
export function decideRange(rangeHeader: string | undefined, size: number, ifRangeMatches = true): RangeDecision {
  if (rangeHeader === undefined || !ifRangeMatches) return { kind: "full" };
  const m = /^\s*bytes\s*=(.*)$/i.exec(rangeHeader);
  if (!m) return { kind: "full" };
  if (m[1].includes(",")) return { kind: "full" };
  const spec = SPEC_RE.exec(m[1]);
  if (!spec || (spec[1] === "" && spec[2] === "")) return { kind: "unsatisfiable" };
  const num = (s: string) => Math.min(Number(s), Number.MAX_SAFE_INTEGER);
  if (spec[1] === "") {
    const suffix = num(spec[2]);
    if (suffix === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "partial", start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = num(spec[1]);
  if (spec[2] !== "" && num(spec[2]) < start) return { kind: "unsatisfiable" };
  if (start >= size) return { kind: "unsatisfiable" };
  const end = spec[2] === "" ? size - 1 : Math.min(num(spec[2]), size - 1);
  return { kind: "partial", start, end };
}
