import type { ContentFrame, ContentPiece } from "../domain/ports.js";
import { coalesceViews } from "../lib/coalesce-views.js";
import { messagePieces } from "../lib/message-pieces.js";

/** What one DownloadSnapshot message carries: plaintext, or a run of whole chunks as zstd frames. */
export type DownloadPayload =
  | { chunk: Uint8Array }
  | { frames: Uint8Array; frameLengths: number[]; frameSizes: number[]; frameDigests: Uint8Array };

export interface DownloadMessageSizes {
  /** Largest plaintext `chunk` of a message. */
  chunkBytes: number;
  /** Plaintext pieces at least this large are sent without copying (smaller ones are packed). */
  minZeroCopyBytes: number;
  /** Frames of one message at most, in bytes, unless a single frame is larger. */
  frameBytes: number;
  /** What a message's frames decode to at most, unless it holds a single frame. */
  framePlainBytes: number;
}

/**
 * Cuts a range's content pieces (ContentStore.read, or readFrames) into DownloadSnapshot payloads,
 * in order. Runs of plaintext have neighbouring views of one buffer merged (the chunk reader yields
 * a pack group's chunks that way), then go out as zero-copy slices of up to `chunkBytes`; only
 * small pieces that stand alone are copied together (coalesceViews, messagePieces). Runs of frames are gathered while they stay
 * within `frameBytes` and `framePlainBytes`; frames that are adjacent views of one buffer go out as
 * one view, others are copied into one buffer of their size. Holds at most one piece beyond the
 * message being built.
 */
export async function* downloadPayloads(pieces: AsyncIterable<ContentPiece>, sizes: DownloadMessageSizes): AsyncGenerator<DownloadPayload> {
  const it = pieces[Symbol.asyncIterator]();
  let held: IteratorResult<ContentPiece> | undefined; // read, not yet used
  const next = async () => {
    const r = held ?? (await it.next());
    held = undefined;
    return r;
  };
  /** Plaintext pieces from `first` until a frame (held back) or the end. */
  async function* plainRun(first: Uint8Array): AsyncGenerator<Uint8Array> {
    yield first;
    for (;;) {
      const r = await next();
      if (r.done || !(r.value instanceof Uint8Array)) {
        held = r;
        return;
      }
      yield r.value;
    }
  }
  try {
    for (;;) {
      const r = await next();
      if (r.done) return;
      if (r.value instanceof Uint8Array) {
        const run = coalesceViews(plainRun(r.value), 4 * sizes.chunkBytes);
        for await (const chunk of messagePieces(run, sizes.chunkBytes, sizes.minZeroCopyBytes)) yield { chunk };
        continue;
      }
      const batch: ContentFrame[] = [r.value];
      let bytes = r.value.frame.length;
      let plain = r.value.size;
      for (;;) {
        const n = await next();
        if (n.done || n.value instanceof Uint8Array || bytes + n.value.frame.length > sizes.frameBytes || plain + n.value.size > sizes.framePlainBytes) {
          held = n;
          break;
        }
        batch.push(n.value);
        bytes += n.value.frame.length;
        plain += n.value.size;
      }
      yield framesPayload(batch, bytes);
    }
  } finally {
    await it.return?.();
  }
}

function framesPayload(batch: ContentFrame[], bytes: number): DownloadPayload {
  const first = batch[0].frame;
  let adjacent = true;
  for (let i = 1, end = first.byteOffset + first.length; adjacent && i < batch.length; i++) {
    const f = batch[i].frame;
    adjacent = f.buffer === first.buffer && f.byteOffset === end;
    end += f.length;
  }
  let frames: Uint8Array;
  if (adjacent) frames = new Uint8Array(first.buffer, first.byteOffset, bytes);
  else {
    frames = new Uint8Array(bytes);
    let at = 0;
    for (const { frame } of batch) {
      frames.set(frame, at);
      at += frame.length;
    }
  }
  const frameDigests = new Uint8Array(32 * batch.length);
  batch.forEach((f, i) => frameDigests.set(f.digest, 32 * i));
  return { frames, frameLengths: batch.map((f) => f.frame.length), frameSizes: batch.map((f) => f.size), frameDigests };
}
