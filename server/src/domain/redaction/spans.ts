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
 * Writes `text` with every span masked. Overlapping or touching spans are merged and keep the
 * reason of the one that starts first. A span that covers several lines is masked line by line,
 * so the masked text has the same line count as `text`.
 */
export function applySpans(text: string, spans: Span[]): { text: string; hits: TextHit[] } {
  if (spans.length === 0) return { text, hits: [] };
  const sorted = spans.filter((s) => s.end > s.start).sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: Span[] = [];
  for (const s of sorted) {
    const last = merged.at(-1);
    if (last !== undefined && s.start < last.end) {
      if (s.end > last.end) merged[merged.length - 1] = { ...last, end: s.end, replacement: undefined };
    } else {
      merged.push(s);
    }
  }
  let out = "";
  let from = 0;
  const hits: TextHit[] = [];
  for (const s of merged) {
    const marker = s.replacement ?? (s.reason === "key" ? KEY_MASK : valueMask(s.reason));
    const lines = text.slice(s.start, s.end).split("\n").length;
    out += text.slice(from, s.start) + Array.from({ length: lines }, () => marker).join("\n");
    from = s.end;
    hits.push({ offset: s.start, reason: s.reason });
  }
  return { text: out + text.slice(from), hits };
}
