/**
 * Cuts a byte stream into message payloads of at most `maxBytes` without re-aligning it: a piece
 * of at least `minZeroCopyBytes` goes out as zero-copy slices of itself (the last one shorter),
 * and only smaller pieces are gathered and sent together once they reach `minZeroCopyBytes`,
 * before the next large piece, and at the end: copied into one buffer of exactly their size, or
 * as they are when it is a single piece. Unlike rechunk's fixed sizes, every byte of a large piece
 * is sent from where it already is; and no more is read ahead or allocated than one message
 * needs, so a consumer that stops reading holds one message, not `maxBytes` of gathered input.
 * The consumer must not write to what it receives.
 */
export async function* messagePieces(
  source: AsyncIterable<Uint8Array>,
  maxBytes: number,
  minZeroCopyBytes: number,
): AsyncGenerator<Uint8Array> {
  if (!Number.isInteger(maxBytes) || maxBytes < 1 || minZeroCopyBytes > maxBytes) throw new RangeError("invalid message sizes");
  let parts: Uint8Array[] = [];
  let fill = 0;
  const gathered = (): Uint8Array => {
    const out = parts.length === 1 ? parts[0] : new Uint8Array(fill);
    if (parts.length > 1) {
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
    }
    parts = [];
    fill = 0;
    return out;
  };
  for await (const piece of source) {
    if (piece.length >= minZeroCopyBytes) {
      if (fill > 0) yield gathered();
      for (let at = 0; at < piece.length; at += maxBytes) yield piece.subarray(at, Math.min(piece.length, at + maxBytes));
      continue;
    }
    for (let at = 0; at < piece.length; ) {
      const n = Math.min(maxBytes - fill, piece.length - at);
      parts.push(piece.subarray(at, at + n));
      fill += n;
      at += n;
      if (fill >= minZeroCopyBytes || fill === maxBytes) yield gathered();
    }
  }
  if (fill > 0) yield gathered();
}
