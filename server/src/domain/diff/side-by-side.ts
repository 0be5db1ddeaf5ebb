import { diffLines } from "diff";
import { failedPrecondition } from "../errors.js";
import { DEFAULT_CONTEXT, MAX_LINE_EDITS, wordDiff, type WordPart } from "./text-diff.js";

/** One cell of a side-by-side view: a line number and its text, split into highlighted parts. */
export interface SideCell {
  line: number;
  parts: WordPart[];
}

export type SideRow =
  | { kind: "same" | "changed" | "removed" | "added"; left?: SideCell; right?: SideCell }
  | { kind: "skipped"; lines: number };

const splitLines = (value: string): string[] => {
  const lines = value.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
};

/**
 * Aligns two texts line by line for a side-by-side view (jsdiff `diffLines`). In each run of
 * differences, removed and added lines are paired in order as `changed` rows with word-level
 * highlights; the surplus become `removed` or `added` rows. Unchanged lines farther than
 * `context` from any difference collapse into `skipped` rows. Equal texts give no rows.
 */
export function sideBySideRows(oldText: string, newText: string, context = DEFAULT_CONTEXT): SideRow[] {
  if (oldText === newText) return [];
  const changes = diffLines(oldText, newText, { maxEditLength: MAX_LINE_EDITS });
  if (changes === undefined) {
    throw failedPrecondition(`texts differ in more than ${MAX_LINE_EDITS} lines; use the JSON format`, "DIFF_TOO_LARGE");
  }
  const rows: Exclude<SideRow, { kind: "skipped" }>[] = [];
  let ln = 1;
  let rn = 1;
  let removed: string[] = [];
  let added: string[] = [];
  const flush = () => {
    const paired = Math.min(removed.length, added.length);
    for (let i = 0; i < paired; i++) {
      const parts = wordDiff(removed[i], added[i]);
      rows.push({
        kind: "changed",
        left: { line: ln++, parts: parts.filter((p) => p.kind !== "added") },
        right: { line: rn++, parts: parts.filter((p) => p.kind !== "removed") },
      });
    }
    for (const text of removed.slice(paired)) rows.push({ kind: "removed", left: { line: ln++, parts: [{ kind: "removed", value: text }] } });
    for (const text of added.slice(paired)) rows.push({ kind: "added", right: { line: rn++, parts: [{ kind: "added", value: text }] } });
    removed = [];
    added = [];
  };
  for (const c of changes) {
    if (c.removed) for (const text of splitLines(c.value)) removed.push(text);
    else if (c.added) for (const text of splitLines(c.value)) added.push(text);
    else {
      flush();
      for (const text of splitLines(c.value)) {
        const cell = (line: number): SideCell => ({ line, parts: [{ kind: "unchanged", value: text }] });
        rows.push({ kind: "same", left: cell(ln++), right: cell(rn++) });
      }
    }
  }
  flush();
  return collapse(rows, context);
}

function collapse(rows: Exclude<SideRow, { kind: "skipped" }>[], context: number): SideRow[] {
  const near = new Uint8Array(rows.length);
  rows.forEach((r, i) => {
    if (r.kind === "same") return;
    for (let j = Math.max(0, i - context); j <= Math.min(rows.length - 1, i + context); j++) near[j] = 1;
  });
  const out: SideRow[] = [];
  for (let i = 0; i < rows.length; i++) {
    if (near[i]) {
      out.push(rows[i]);
      continue;
    }
    const last = out[out.length - 1];
    if (last?.kind === "skipped") last.lines++;
    else out.push({ kind: "skipped", lines: 1 });
  }
  return out;
}
