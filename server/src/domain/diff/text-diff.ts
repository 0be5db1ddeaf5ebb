import { createTwoFilesPatch, diffWordsWithSpace, FILE_HEADERS_ONLY, structuredPatch, type StructuredPatchHunk } from "diff";
import { failedPrecondition } from "../errors.js";

/** Default number of unchanged lines shown around each change. */
export const DEFAULT_CONTEXT = 3;
/** Line diffs needing more insertions plus deletions than this fail with DIFF_TOO_LARGE. */
export const MAX_LINE_EDITS = 10_000;

export interface UnifiedDiffOptions {
  /** Name of the left file; the header reads `--- a/<name>`. Undefined means it does not exist (`/dev/null`). */
  oldName?: string;
  /** Name of the right file; the header reads `+++ b/<name>`. Undefined means `/dev/null`. */
  newName?: string;
  /** Unchanged lines around each change (default 3). */
  context?: number;
  /** Changed lines (insertions plus deletions) beyond which the diff fails (default MAX_LINE_EDITS). */
  maxEdits?: number;
}

const label = (prefix: string, name: string | undefined) => (name === undefined ? "/dev/null" : `${prefix}/${name}`);

const tooLarge = (max: number) =>
  failedPrecondition(`texts differ in more than ${max} lines; use the JSON format or a chunk summary`, "DIFF_TOO_LARGE");

/**
 * A unified diff (`--- a/…`, `+++ b/…`, `@@` hunks) computed with jsdiff. Returns "" when the texts
 * are equal. Fails with FailedPrecondition DIFF_TOO_LARGE past `maxEdits` changed lines (the
 * search for a minimal diff costs time quadratic in that number).
 */
export function unifiedDiff(oldText: string, newText: string, opts: UnifiedDiffOptions = {}): string {
  if (oldText === newText) return "";
  const out = createTwoFilesPatch(label("a", opts.oldName), label("b", opts.newName), oldText, newText, undefined, undefined, {
    context: opts.context ?? DEFAULT_CONTEXT,
    headerOptions: FILE_HEADERS_ONLY,
    maxEditLength: opts.maxEdits ?? MAX_LINE_EDITS,
  });
  if (out === undefined) throw tooLarge(opts.maxEdits ?? MAX_LINE_EDITS);
  return out;
}

export interface LineHunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** Lines prefixed with " ", "-", "+" or "\\" as in a unified diff. */
  lines: string[];
}

export interface TextStructuredDiff {
  hunks: LineHunk[];
  counts: { addedLines: number; removedLines: number };
}

/** The hunks of a line diff, for the structured (JSON) format of text snapshots. */
export function lineHunks(oldText: string, newText: string, context = DEFAULT_CONTEXT): TextStructuredDiff {
  if (oldText === newText) return { hunks: [], counts: { addedLines: 0, removedLines: 0 } };
  const p = structuredPatch("a", "b", oldText, newText, undefined, undefined, { context, maxEditLength: MAX_LINE_EDITS });
  if (p === undefined) throw tooLarge(MAX_LINE_EDITS);
  const hunks = p.hunks.map((h: StructuredPatchHunk) => ({ ...h, lines: [...h.lines] }));
  let addedLines = 0;
  let removedLines = 0;
  for (const h of hunks) {
    for (const l of h.lines) {
      if (l.startsWith("+")) addedLines++;
      else if (l.startsWith("-")) removedLines++;
    }
  }
  return { hunks, counts: { addedLines, removedLines } };
}

export interface WordPart {
  kind: "unchanged" | "added" | "removed";
  value: string;
}

/**
 * A word-level diff for prose (jsdiff `diffWordsWithSpace`: words, punctuation and whitespace runs
 * are tokens). The parts, in order, rebuild the old text from `unchanged` + `removed` parts and
 * the new text from `unchanged` + `added` parts. Within each run of changes, whitespace that only
 * separates changed words is folded into the change, and the run reads as one removal followed
 * by one addition ("warm " → "hot summer ", not "warm" → "hot", " ", + "summer ").
 */
export function wordDiff(oldText: string, newText: string): WordPart[] {
  if (oldText === newText) return oldText === "" ? [] : [{ kind: "unchanged", value: oldText }];
  const raw: WordPart[] = diffWordsWithSpace(oldText, newText).map((c) => ({
    kind: c.added ? "added" : c.removed ? "removed" : "unchanged",
    value: c.value,
  }));
  const out: WordPart[] = [];
  for (let i = 0; i < raw.length; ) {
    if (raw[i].kind === "unchanged") {
      out.push(raw[i++]);
      continue;
    }
    let removed = "";
    let added = "";
    while (i < raw.length) {
      const p = raw[i];
      if (p.kind === "removed") removed += p.value;
      else if (p.kind === "added") added += p.value;
      else if (/^\s+$/u.test(p.value) && raw[i + 1] !== undefined && raw[i + 1].kind !== "unchanged") {
        removed += p.value;
        added += p.value;
      } else break;
      i++;
    }
    if (removed) out.push({ kind: "removed", value: removed });
    if (added) out.push({ kind: "added", value: added });
  }
  return out;
}
