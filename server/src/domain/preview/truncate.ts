/**
 * Cuts `text` to at most `maxBytes` bytes of UTF-8 without splitting a character: never inside a
 * code point's encoding, and, where `Intl.Segmenter` is available, never inside a grapheme
 * cluster (an emoji sequence, or a letter and its combining marks).
 */
export function truncateUtf8(text: string, maxBytes: number): { text: string; truncated: boolean } {
  if (text.length <= maxBytes / 3 || Buffer.byteLength(text, "utf8") <= maxBytes) return { text, truncated: false };
  const bytes = Buffer.from(text, "utf8");
  let end = Math.max(0, maxBytes);
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--; // back off to the start of a code point
  let cut = bytes.subarray(0, end).toString("utf8");
  // `cut` is a prefix of `text` in UTF-16 units; back off further to a grapheme boundary.
  const at = cut.length;
  const windowStart = Math.max(0, at - 64);
  let boundary = windowStart;
  for (const seg of new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(text.slice(windowStart, at + 64))) {
    const segEnd = windowStart + seg.index + seg.segment.length;
    if (segEnd > at) break;
    boundary = segEnd;
  }
  if (boundary < at) cut = cut.slice(0, boundary);
  return { text: cut, truncated: true };
}
