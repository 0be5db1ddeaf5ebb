/**
 * Merges pieces that are adjacent views of one ArrayBuffer (piece n+1 starts where piece n ends)
 * into one view of at most `maxBytes`, without copying. The chunk reader yields a pack group's
 * chunks that way, so a download can pass large zero-copy slices on instead of copying every
 * chunk into message-sized buffers. Other pieces pass through unchanged; empty ones are dropped.
 */
export async function* coalesceViews(source: AsyncIterable<Uint8Array>, maxBytes: number): AsyncGenerator<Uint8Array> {
  let run: Uint8Array | undefined;
  for await (const piece of source) {
    if (piece.length === 0) continue;
    if (
      run !== undefined &&
      piece.buffer === run.buffer &&
      piece.byteOffset === run.byteOffset + run.length &&
      run.length + piece.length <= maxBytes
    ) {
      run = new Uint8Array(run.buffer, run.byteOffset, run.length + piece.length);
      continue;
    }
    if (run !== undefined) yield run;
    run = piece;
  }
  if (run !== undefined) yield run;
}
