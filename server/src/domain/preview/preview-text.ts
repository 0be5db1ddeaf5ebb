import { parseJson, type Redactor } from "../redaction/index.js";
import type { Redaction } from "./redaction.js";

export interface TextPreviewOptions {
  /** False when `text` is the head of longer content. */
  complete: boolean;
  maxLines: number;
  /** The byte limit of the preview: a JSON document is redacted no further than that can show. */
  maxBytes: number;
  /** Undefined turns redaction off. */
  redactor?: Redactor;
}

export interface TextPreview {
  text: string;
  redactions: Redaction[];
  /** True when lines were left out. */
  cut: boolean;
  notes: string[];
}

/** Maps offsets of `text` to 1-based line numbers. */
function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/**
 * The head of content cut short, without its last, partial line (or, for one long line, without
 * the token the cut fell in): a secret that crosses the cut is never shown in part.
 */
export function dropPartialTail(text: string): string {
  const nl = text.lastIndexOf("\n");
  if (nl >= 0) return text.slice(0, nl + 1);
  let i = text.length - 1;
  while (i >= 0 && !/[\s,;&"'<>(){}[\]]/.test(text[i])) i--;
  return text.slice(0, i + 1);
}

/** A line that holds one JSON object or array (JSON Lines, or a log line that is JSON). */
function jsonLine(line: string): unknown {
  const t = line.trim();
  if (!((t.startsWith("{") && t.endsWith("}")) || (t.startsWith("[") && t.endsWith("]")))) return undefined;
  return parseJson(t, true)?.value;
}

/**
 * Redacts text line-preserving: lines that are JSON are redacted as documents (and shown
 * re-serialized only when something in them was masked); runs of other lines go through the
 * text redactor together, so multi-line values (PEM blocks, quoted .env values, YAML blocks)
 * are seen whole. Redaction paths are `line:N`.
 */
function redactLines(text: string, redactor: Redactor, redactions: Redaction[]): string {
  const lines = text.split("\n");
  const out: string[] = [];
  let block: string[] = [];
  let blockStart = 1;
  const flush = () => {
    if (block.length === 0) return;
    const joined = block.join("\n");
    const r = redactor.text(joined);
    const lineOf = lineIndex(joined);
    for (const h of r.hits) redactions.push({ path: `line:${blockStart + lineOf(h.offset) - 1}`, reason: h.reason });
    out.push(r.text);
    block = [];
  };
  lines.forEach((line, i) => {
    const doc = jsonLine(line);
    if (doc === undefined) {
      if (block.length === 0) blockStart = i + 1;
      block.push(line);
      return;
    }
    flush();
    const r = redactor.json(doc);
    for (const h of r.hits) redactions.push({ path: `line:${i + 1}`, reason: h.reason });
    out.push(r.hits.length > 0 || r.elided ? JSON.stringify(r.value) : line);
  });
  flush();
  return out.join("\n");
}

/**
 * A text preview: the first `maxLines` lines, redacted when a redactor is given.
 * - Content that is one JSON document (or the head of one) is redacted as a document and
 *   rendered from the redacted copy, pretty-printed; its redaction paths are JSON Pointers.
 * - Other text is redacted line-preserving (see redactLines); the partial last line of a head
 *   is left out.
 */
export function previewText(text: string, opts: TextPreviewOptions): TextPreview {
  const redactions: Redaction[] = [];
  const notes: string[] = [];
  let body: string;
  let cut = false;
  const { redactor } = opts;
  const doc = redactor !== undefined && /^\s*[[{]/.test(text) ? parseJson(text, opts.complete) : undefined;
  if (redactor === undefined) {
    body = text;
  } else if (doc !== undefined) {
    const r = redactor.json(doc.value, { maxOutputChars: opts.maxBytes });
    for (const h of r.hits) redactions.push({ path: h.path, reason: h.reason });
    body = `${JSON.stringify(r.value, null, 2)}\n`;
    if (!doc.complete) notes.push("JSON shown up to the last whole value before the cut; open arrays and objects are closed");
    if (doc.deep || r.elided) cut = true;
  } else {
    body = redactLines(opts.complete ? text : dropPartialTail(text), redactor, redactions);
  }
  const lines = body.split("\n");
  if (lines.length > opts.maxLines) {
    lines.length = opts.maxLines;
    cut = true;
  }
  const shown = doc === undefined ? redactions.filter((r) => Number(r.path.slice("line:".length)) <= lines.length) : redactions;
  return { text: lines.join("\n"), redactions: shown, cut, notes };
}
