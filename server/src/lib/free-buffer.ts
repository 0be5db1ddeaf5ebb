/**
 * Frees the memory behind `b` now rather than at the next full GC (which streaming can put off by
 * tens of megabytes): detaching the ArrayBuffer releases its backing store at once, and every view
 * of it becomes empty. Only for a buffer the caller owns whole and that nothing else still reads;
 * a view of part of a buffer (a pooled Buffer) is left alone.
 */
export function freeBuffer(b: Uint8Array): void {
  if (b.byteOffset !== 0 || b.buffer.byteLength !== b.byteLength || !(b.buffer instanceof ArrayBuffer)) return;
  try {
    (b.buffer as { transfer?(length: number): ArrayBuffer }).transfer?.(0);
  } catch {
    // not detachable (e.g. a buffer from a native module): the GC frees it later
  }
}
