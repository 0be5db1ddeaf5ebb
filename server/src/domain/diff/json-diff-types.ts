/** One RFC 6902 operation. Paths and `from` are RFC 6901 JSON Pointers into the evolving document. */
export type JsonPatchOp =
  | { op: "add"; path: string; value: unknown }
  | { op: "remove"; path: string }
  | { op: "replace"; path: string; value: unknown }
  | { op: "move"; from: string; path: string };

/**
 * One entry of the per-path summary. `path` points into the right document, except for `removed`
 * where it points into the left one. `from` is the left-document pointer of a moved element, and
 * of a changed value whose position differs between the two documents (a keyed array element
 * that shifted); it is absent when the positions are the same.
 */
export interface PathChange {
  kind: "added" | "removed" | "changed" | "moved";
  path: string;
  from?: string;
  /** The left value, for `removed` and `changed`. */
  oldValue?: unknown;
  /** The right value, for `added` and `changed`. */
  newValue?: unknown;
}

export interface DiffCounts {
  added: number;
  removed: number;
  changed: number;
  /** Keyed array elements that changed position relative to the others. */
  moved: number;
}

export interface JsonDiff {
  /** Applied to the left document in order, turns it into the right one (ignored members aside). */
  patch: JsonPatchOp[];
  changes: PathChange[];
  counts: DiffCounts;
}

export interface JsonDiffOptions {
  /**
   * Object members to leave out of the comparison, as JSON Pointers or globs (see path-glob.ts),
   * each matched against the member's path in its own document. An ignored member is compared
   * as if it were absent on that side; no operation or summary entry names it. Patterns name
   * object members: a pattern that ends on an array index matches nothing.
   */
  ignorePaths?: readonly string[];
  /**
   * Member names that identify array elements, tried in order for each array, e.g. ["id", "sku"].
   * An array pair is matched by key when every element on both sides is an object whose member
   * of that name is a string or number, unique within its side; otherwise it is diffed by
   * position (a longest-common-subsequence alignment of the elements).
   */
  arrayMatchKey?: string | readonly string[];
  /** Nesting beyond this depth fails with FailedPrecondition JSON_TOO_DEEP. Default 1000. */
  maxDepth?: number;
}
