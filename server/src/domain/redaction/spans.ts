/**
 * Masked ranges of a string and how they are written out. Recognisers only report spans; one
 * function applies them, so overlapping findings of different recognisers mask their union.
 */

/** Why a value was masked: a sensitive key (`key`) or the shape of the value itself. */
export type RedactionReason = "key" | ValueKind;

/** Shapes recognised wherever they appear. */
export type ValueKind = "pem" | "jwt" | "userinfo" | "auth" | "apikey" | "card" | "iban" | "email" | "phone";

/** The marker of a value masked because of its key. */
export const KEY_MASK = "[REDACTED]";

/** The marker of a value masked because of its shape. */
export const valueMask = (kind: ValueKind) => `[REDACTED:${kind}]`;

/** `text.slice(start, end)` is masked; `replacement` overrides the reason's marker. */
export interface Span {
  start: number;
  end: number;
  reason: RedactionReason;
  replacement?: string;
}

/** One masked range of the original text, by its start offset. */
export interface TextHit {
  offset: number;
  reason: RedactionReason;
}

/**
 * Writes `text` with every span masked. Overlapping spans are merged and keep the reason of the
 * one that starts first. A span that covers several lines is masked line by line,
 * so the masked text has the same line count as `text`.
 */
export function applySpans(text: string, spans: Span[]): { text: string; hits: TextHit[] } {
  if (spans.length === 0) return { text, hits: [] };
  const byStart = (a: Span, b: Span) => a.start - b.start || b.end - a.end;
  const sorted = spans.every((s, i) => i === 0 || byStart(spans[i - 1], s) <= 0) ? spans : [...spans].sort(byStart);
  const parts: string[] = [];
  const hits: TextHit[] = [];
  let from = 0;
  let nextBreak = text.indexOf("\n");
  for (let i = 0; i < sorted.length; ) {
    const first = sorted[i];
    let end = first.end;
    let replacement = first.replacement;
    // Merge every span that starts inside this one.
    for (i++; i < sorted.length && sorted[i].start < end; i++) {
      if (sorted[i].end > end) {
        end = sorted[i].end;
        replacement = undefined;
      }
    }
    if (end <= first.start) continue;
    const marker = replacement ?? (first.reason === "key" ? KEY_MASK : valueMask(first.reason));
    parts.push(text.slice(from, first.start), marker);
    while (nextBreak >= 0 && nextBreak < first.start) nextBreak = text.indexOf("\n", nextBreak + 1);
    for (; nextBreak >= 0 && nextBreak < end; nextBreak = text.indexOf("\n", nextBreak + 1)) parts.push("\n", marker);
    from = end;
    hits.push({ offset: first.start, reason: first.reason });
  }
  parts.push(text.slice(from));
  return { text: parts.join(""), hits };
}
