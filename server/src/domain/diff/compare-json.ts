import { failedPrecondition } from "../errors.js";
import type { ResolvedCompareOptions, DiffFormat } from "./compare-options.js";
import type { CompareResult, WordField } from "./compare-types.js";
import { renderHtmlDiff } from "./html-diff.js";
import { diffJson } from "./json-diff.js";
import { alignKeyedArrays, stripIgnored } from "./json-normalize.js";
import { compilePathPatterns } from "./path-glob.js";
import { sideBySideRows } from "./side-by-side.js";
import { unifiedDiff, wordDiff } from "./text-diff.js";

/** Parses snapshot bytes as UTF-8 JSON; FailedPrecondition INVALID_JSON names the side, never the content. */
export function parseJsonSnapshot(bytes: Uint8Array, side: "left" | "right"): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw failedPrecondition(`${side} snapshot is not valid UTF-8 JSON`, "INVALID_JSON");
  }
}

/**
 * The two documents as the text formats show them: ignored members removed, keyed arrays of the
 * right side put in left-hand order, pretty-printed with two-space indentation.
 */
function prettyPair(left: unknown, right: unknown, o: ResolvedCompareOptions): [string, string] {
  let l = left;
  let r = right;
  if (o.ignorePaths.length > 0) {
    const m = compilePathPatterns(o.ignorePaths);
    l = stripIgnored(l, m);
    r = stripIgnored(r, m);
  }
  r = alignKeyedArrays(l, r, o.matchKeys);
  return [`${JSON.stringify(l, null, 2)}\n`, `${JSON.stringify(r, null, 2)}\n`];
}

/** Compares two JSON snapshots in the requested format. */
export function compareJson(leftBytes: Uint8Array, rightBytes: Uint8Array, format: DiffFormat, o: ResolvedCompareOptions): CompareResult {
  const left = parseJsonSnapshot(leftBytes, "left");
  const right = parseJsonSnapshot(rightBytes, "right");
  const diffOpts = { ignorePaths: o.ignorePaths, arrayMatchKey: o.matchKeys };
  switch (format) {
    case "JSON":
      return { format, kind: "json", diff: diffJson(left, right, diffOpts) };
    case "UNIFIED": {
      const [l, r] = prettyPair(left, right, o);
      return { format, kind: "json", text: unifiedDiff(l, r, { oldName: o.leftName, newName: o.rightName, context: o.context }) };
    }
    case "WORD": {
      const fields: WordField[] = [];
      for (const c of diffJson(left, right, diffOpts).changes) {
        if (c.kind !== "changed" || typeof c.oldValue !== "string" || typeof c.newValue !== "string") continue;
        const parts = wordDiff(c.oldValue, c.newValue);
        fields.push(c.from === undefined ? { path: c.path, parts } : { path: c.path, from: c.from, parts });
      }
      return { format, kind: "json", fields };
    }
    case "HTML": {
      const d = diffJson(left, right, diffOpts);
      const [l, r] = prettyPair(left, right, o);
      const html = renderHtmlDiff({
        title: o.title,
        counts: { ...d.counts },
        changes: d.changes,
        files: [{ oldName: o.leftName, newName: o.rightName, rows: sideBySideRows(l, r, o.context) }],
      });
      return { format, kind: "json", html };
    }
  }
}
