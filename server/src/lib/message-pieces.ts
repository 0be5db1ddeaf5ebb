/**
 * Cuts a byte stream into message payloads of at most `maxBytes` without re-aligning it: a piece
 * of at least `minZeroCopyBytes` goes out as zero-copy slices of itself (the last one shorter),
 * and only smaller pieces are copied together into a buffer, which is sent when full, before the
 * next large piece, and at the end. Unlike rechunk's fixed sizes, every byte of a large piece is
 * sent from where it already is. The consumer must not write to what it receives.
 */
export async function* messagePieces(
  source: AsyncIterable<Uint8Array>,
  maxBytes: number,
  minZeroCopyBytes: number,
): AsyncGenerator<Uint8Array> {
  if (!Number.isInteger(maxBytes) || maxBytes < 1 || minZeroCopyBytes > maxBytes) throw new RangeError("invalid message sizes");
  let buf: Uint8Array | undefined;
  let fill = 0;
  for await (const piece of source) {
    if (piece.length >= minZeroCopyBytes) {
      if (fill > 0) yield buf!.subarray(0, fill);
      buf = undefined;
      fill = 0;
      for (let at = 0; at < piece.length; at += maxBytes) yield piece.subarray(at, Math.min(piece.length, at + maxBytes));
      continue;
    }
    for (let at = 0; at < piece.length; ) {
      buf ??= new Uint8Array(maxBytes);
      const n = Math.min(maxBytes - fill, piece.length - at);
      buf.set(piece.subarray(at, at + n), fill);
      fill += n;
      at += n;
      if (fill === maxBytes) {
        yield buf;
        buf = undefined;
        fill = 0;
      }
    }
  }
  if (fill > 0) yield buf!.subarray(0, fill);
}
