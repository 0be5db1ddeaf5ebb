import { createHash } from "node:crypto";
import { escapeHtml } from "./html-escape.js";
import type { PathChange } from "./json-diff-types.js";
import type { SideCell, SideRow } from "./side-by-side.js";

/** One file of a side-by-side page: text rows, or a note for content that is not shown as text. */
export interface HtmlFileSection {
  /** Left name; undefined when the file is new. */
  oldName?: string;
  /** Right name; undefined when the file was removed. */
  newName?: string;
  rows?: SideRow[];
  /** Shown instead of (or above) rows, e.g. "binary content differs". */
  note?: string;
}

export interface HtmlDiffInput {
  title: string;
  /** Shown as "name: value" pairs under the title. */
  counts?: Record<string, number>;
  /** Per-path changes of a structured diff, listed in a table before the files. */
  changes?: PathChange[];
  files: HtmlFileSection[];
}

export interface HtmlDiffLimits {
  /** Summary rows listed before "… N more" (default 1000). */
  maxSummaryRows?: number;
  /** Side-by-side rows over all files before the rest is cut (default 20000). */
  maxRows?: number;
  /** Characters of a summary value shown before "…" (default 300). */
  maxValueChars?: number;
}

const CSS = `
:root{color-scheme:light;font:14px/1.4 system-ui,sans-serif;color:#1f2328;background:#fff}
body{margin:16px}
h1{font-size:18px;margin:0 0 8px}
h2{font-size:15px;margin:24px 0 6px;font-family:ui-monospace,monospace}
.counts span{display:inline-block;margin-right:12px}
table{border-collapse:collapse;width:100%;table-layout:fixed}
td,th{vertical-align:top;padding:1px 6px;font-family:ui-monospace,monospace;font-size:12px;white-space:pre-wrap;overflow-wrap:anywhere}
th{text-align:left;background:#f6f8fa}
.summary td,.summary th{border:1px solid #d1d9e0}
.ln{width:4em;color:#59636e;text-align:right;user-select:none}
.removed .old,.changed .old{background:#ffebe9}
.added .new,.changed .new{background:#e6ffec}
del{background:#ffc1ba;text-decoration:none}
ins{background:#aceebb;text-decoration:none}
.skipped td{background:#f6f8fa;color:#59636e;text-align:center}
.note{color:#59636e;font-style:italic}
`.trim();

/** The page's Content-Security-Policy: nothing may load or run; only the page's own stylesheet applies. */
export function contentSecurityPolicy(): string {
  const styleHash = createHash("sha256").update(CSS).digest("base64");
  return [
    "default-src 'none'",
    `style-src 'sha256-${styleHash}'`,
    "script-src 'none'",
    "img-src 'none'",
    "font-src 'none'",
    "connect-src 'none'",
    "object-src 'none'",
    "media-src 'none'",
    "frame-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
}

const shortJson = (v: unknown, max: number): string => {
  if (v === undefined) return "";
  const s = JSON.stringify(v) ?? "";
  return s.length > max ? `${s.slice(0, max)}…` : s;
};

function cell(side: "old" | "new", c: SideCell | undefined): string {
  if (!c) return `<td class="ln"></td><td class="${side}"></td>`;
  const body = c.parts
    .map((p) => (p.kind === "removed" ? `<del>${escapeHtml(p.value)}</del>` : p.kind === "added" ? `<ins>${escapeHtml(p.value)}</ins>` : escapeHtml(p.value)))
    .join("");
  return `<td class="ln">${c.line}</td><td class="${side}">${body}</td>`;
}

/**
 * A self-contained side-by-side diff page: inline stylesheet allowed by hash, no scripts, no
 * external resources, and a Content-Security-Policy that forbids loading or running anything.
 * Every piece of content (names, lines, paths, values) is HTML-escaped, so content can only
 * ever appear as text. Long outputs are cut at `limits` with a visible note.
 */
export function renderHtmlDiff(input: HtmlDiffInput, limits: HtmlDiffLimits = {}): string {
  const maxSummary = limits.maxSummaryRows ?? 1000;
  let rowBudget = limits.maxRows ?? 20_000;
  const maxValue = limits.maxValueChars ?? 300;
  const out: string[] = [];
  out.push(
    "<!DOCTYPE html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy())}">`,
    '<meta name="referrer" content="no-referrer">',
    `<title>${escapeHtml(input.title)}</title>`,
    `<style>${CSS}</style>`,
    "</head><body><main>",
    `<h1>${escapeHtml(input.title)}</h1>`,
  );
  if (input.counts) {
    const spans = Object.entries(input.counts).map(([k, v]) => `<span>${escapeHtml(k)}: ${v}</span>`);
    out.push(`<p class="counts">${spans.join("")}</p>`);
  }
  if (input.changes && input.changes.length > 0) {
    out.push('<table class="summary"><thead><tr><th>change</th><th>path</th><th>old</th><th>new</th></tr></thead><tbody>');
    for (const c of input.changes.slice(0, maxSummary)) {
      const path = c.from && c.kind === "moved" ? `${c.from} → ${c.path}` : c.path;
      out.push(
        `<tr class="${c.kind}"><td>${c.kind}</td><td>${escapeHtml(path)}</td>` +
          `<td class="old">${escapeHtml(shortJson(c.oldValue, maxValue))}</td><td class="new">${escapeHtml(shortJson(c.newValue, maxValue))}</td></tr>`,
      );
    }
    if (input.changes.length > maxSummary) {
      out.push(`<tr class="skipped"><td colspan="4">… ${input.changes.length - maxSummary} more changes</td></tr>`);
    }
    out.push("</tbody></table>");
  }
  for (const f of input.files) {
    const heading = `${f.oldName === undefined ? "/dev/null" : `a/${f.oldName}`} → ${f.newName === undefined ? "/dev/null" : `b/${f.newName}`}`;
    out.push(`<section class="file"><h2>${escapeHtml(heading)}</h2>`);
    if (f.note) out.push(`<p class="note">${escapeHtml(f.note)}</p>`);
    if (f.rows && f.rows.length > 0) {
      out.push('<table class="sbs"><colgroup><col class="ln"><col><col class="ln"><col></colgroup><tbody>');
      for (const r of f.rows) {
        if (rowBudget-- <= 0) {
          out.push('<tr class="skipped"><td colspan="4">… output cut: too many rows</td></tr>');
          break;
        }
        if (r.kind === "skipped") out.push(`<tr class="skipped"><td colspan="4">⋯ ${r.lines} unchanged line${r.lines === 1 ? "" : "s"}</td></tr>`);
        else out.push(`<tr class="${r.kind}">${cell("old", r.left)}${cell("new", r.right)}</tr>`);
      }
      out.push("</tbody></table>");
    }
    out.push("</section>");
  }
  out.push("</main></body></html>", "");
  return out.join("\n");
}
