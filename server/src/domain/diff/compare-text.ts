import { failedPrecondition } from "../errors.js";
import type { DiffFormat, ResolvedCompareOptions } from "./compare-options.js";
import type { CompareResult } from "./compare-types.js";
import { renderHtmlDiff } from "./html-diff.js";
import { sideBySideRows } from "./side-by-side.js";
import { decodeText } from "./tar-read.js";
import { lineHunks, unifiedDiff, wordDiff } from "./text-diff.js";

/** Decodes snapshot bytes as strict UTF-8 without NUL; FailedPrecondition INVALID_TEXT otherwise. */
export function decodeTextSnapshot(bytes: Uint8Array, side: "left" | "right"): string {
  const text = decodeText(bytes);
  if (text === undefined) throw failedPrecondition(`${side} snapshot is not UTF-8 text`, "INVALID_TEXT");
  return text;
}

/** Compares two text snapshots in the requested format. */
export function compareText(leftBytes: Uint8Array, rightBytes: Uint8Array, format: DiffFormat, o: ResolvedCompareOptions): CompareResult {
  const l = decodeTextSnapshot(leftBytes, "left");
  const r = decodeTextSnapshot(rightBytes, "right");
  switch (format) {
    case "JSON":
      return { format, kind: "text", diff: lineHunks(l, r, o.context) };
    case "UNIFIED":
      return { format, kind: "text", text: unifiedDiff(l, r, { oldName: o.leftName, newName: o.rightName, context: o.context }) };
    case "WORD":
      return { format, kind: "text", fields: l === r ? [] : [{ path: "", parts: wordDiff(l, r) }] };
    case "HTML":
      return {
        format,
        kind: "text",
        html: renderHtmlDiff({ title: o.title, files: [{ oldName: o.leftName, newName: o.rightName, rows: sideBySideRows(l, r, o.context) }] }),
      };
  }
}
