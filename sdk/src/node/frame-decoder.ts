import { hash } from "node:crypto";
import type { FrameDecoder, FramesMessage } from "../download.js";
import { IntegrityError } from "../errors.js";
import { createZstdContexts, type ZstdContexts } from "./zstd-context.js";

/** A message's frames decode to at most this much (the proto's bound), unless it holds one frame. */
export const FRAMES_PLAIN_MAX_BYTES = 4 * 1024 * 1024;
/** A single frame decodes to at most this much: the chunker's largest chunk. */
export const FRAME_PLAIN_MAX_BYTES = 16 * 1024 * 1024;
/** Window a frame may use: enough for the largest chunk, and no more memory than that for a hostile one. */
const WINDOW_LOG_MAX = 24;

let contexts: ZstdContexts | undefined | null = null;
/** This thread's decompression context, made on first use; undefined on a Node without zstd. */
const zstd = () => (contexts === null ? (contexts = createZstdContexts({ windowLogMax: WINDOW_LOG_MAX })) : contexts);

/**
 * A FrameDecoder on node:zlib's zstd, or undefined on a Node without it (downloads then take
 * plaintext). Every frame must be one whole frame that decodes to exactly its size (the context's
 * decompress checks both), and its
 * plaintext must have its SHA-256: anything else is IntegrityError, raised before any byte of the
 * message is handed on. The message's shape is checked first, and its declared sizes are bounded
 * before anything is allocated for them.
 *
 * With `reuse`, the message decodes into one buffer kept by this decoder, and what `decode`
 * returns is valid only until its next call: for a consumer that is done with each message before
 * it asks for the next (a file written in place). Otherwise each message gets a buffer of its own.
 *
 * `digests: false` skips the SHA-256 of each chunk, for a caller that checks the SHA-256 of the
 * whole content against the snapshot's before it uses any of it (a whole download with `verify`):
 * that check covers every byte, and the per-chunk one would hash the content a second time.
 */
export function createFrameDecoder(opts: { reuse: boolean; digests?: boolean }): FrameDecoder | undefined {
  const digests = opts.digests ?? true;
  const z = zstd();
  if (z === undefined) return undefined;
  let kept = Buffer.allocUnsafe(0);
  return {
    decode(m: FramesMessage): Uint8Array {
      const n = m.frameLengths.length;
      const total = checkShape(m);
      // One spare byte: the decoder writes into it when a frame holds more than its size.
      const out = opts.reuse ? (kept.length > total ? kept : (kept = Buffer.allocUnsafe(total + 1))) : Buffer.allocUnsafe(total + 1);
      for (let i = 0, at = 0, plainAt = 0; i < n; i++) {
        const frame = m.frames.subarray(at, at + m.frameLengths[i]);
        const size = m.frameSizes[i];
        let plain: Uint8Array;
        try {
          plain = z.decompress(frame, size, out.subarray(plainAt, plainAt + size + 1));
        } catch (e) {
          throw new IntegrityError("frame", `a frame of ${size} bytes`, e instanceof Error ? e.message : String(e));
        }
        if (digests) {
          const actual = hash("sha256", plain, "buffer");
          const digest = m.frameDigests.subarray(32 * i, 32 * i + 32);
          if (!actual.equals(digest)) throw new IntegrityError("sha256", Buffer.from(digest).toString("hex"), actual.toString("hex"));
        }
        at += frame.length;
        plainAt += size;
      }
      return out.subarray(0, total);
    },
  };
}

/** The plaintext total of a frames message whose fields agree and whose sizes are in bounds. */
function checkShape(m: FramesMessage): number {
  const n = m.frameLengths.length;
  if (m.frameSizes.length !== n || m.frameDigests.length !== 32 * n) {
    throw new IntegrityError("frame", `${n} sizes and ${32 * n} digest bytes`, `${m.frameSizes.length} sizes and ${m.frameDigests.length} digest bytes`);
  }
  let length = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (m.frameLengths[i] === 0 || m.frameSizes[i] === 0) throw new IntegrityError("frame", "frames and sizes above 0", "0");
    length += m.frameLengths[i];
    total += m.frameSizes[i];
  }
  if (length !== m.frames.length) throw new IntegrityError("frame", `${length} bytes of frames`, `${m.frames.length}`);
  const max = n === 1 ? FRAME_PLAIN_MAX_BYTES : FRAMES_PLAIN_MAX_BYTES;
  if (total > max) throw new IntegrityError("frame", `at most ${max} bytes of plaintext in a message`, `${total}`);
  return total;
}
