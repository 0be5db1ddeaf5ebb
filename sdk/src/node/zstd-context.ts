/**
 * One-shot zstd frames through a reused native context.
 *
 * `zlib.zstdCompressSync` and `zstdDecompressSync` create and free a native context on every call.
 * Per chunk that costs time (context allocation and table set-up) and, worse, memory: tens of
 * thousands of short-lived contexts fragment the C heap, and a 4 GiB upload grew the process by
 * about 100 MB from that alone. A context kept for the life of the process avoids both.
 *
 * node:zlib has no public synchronous API on a long-lived context, so this drives the stream
 * object's native handle the way node:zlib's own sync path does (`_handle.writeSync` and
 * `_writeState`), without its final close. Those are internals: `createReusedZstdContexts` checks
 * they exist, and `createZstdContexts` falls back to `createPerCallZstdContexts` (node's one-shot
 * functions, same contract and strictness) when they do not. A context that reports an error is
 * dropped and a fresh one is made for the next call, so a corrupt frame can never leave state
 * behind for the next chunk.
 *
 * A decompression context is not reset between frames (node's reset() re-creates the native
 * context: about a third of a download's decoding time). Instead the input must be exactly one
 * structurally complete frame (zstdFrameLength), and the context is kept only after it consumed
 * all of it and produced exactly the expected size; a decoder that finished a complete frame is
 * back at the start of the next one.
 */
import * as zlib from "node:zlib";

const C = zlib.constants;

/** The internals of a node:zlib stream that this module drives. */
interface NativeZstd {
  _handle: { writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void } | null;
  _writeState: Uint32Array;
  destroyed: boolean;
  reset(): void;
  on(event: "error", listener: (e: Error) => void): unknown;
}

/** Compression and decompression contexts. Not re-entrant; one per thread. */
export interface ZstdContexts {
  /**
   * A complete zstd frame holding `plain`, compressed at `level`. With `into`, a frame that fits
   * there is written there and a view of it returned (no buffer is allocated for it); a larger one
   * comes in a buffer of its own.
   */
  compress(plain: Uint8Array, level: number, into?: Uint8Array): Uint8Array;
  /**
   * The content of one complete frame, which must be exactly `plainSize` bytes. Throws RangeError
   * on a corrupt or truncated frame or a size mismatch; never produces more than `plainSize` bytes.
   * With `into` (at least plainSize + 1 bytes; the spare byte detects an oversized frame) the
   * content is written there and a view of it returned; `into[plainSize]` may be overwritten.
   */
  decompress(frame: Uint8Array, plainSize: number, into?: Uint8Array): Uint8Array;
}

/**
 * Chunks are at most 16 MiB (the chunker's limit) and Vellum's default maximum is 128 KiB; a
 * 2^17 window covers a default chunk whole, keeps the context small and lets the decoder size
 * its window to match.
 */
const WINDOW_LOG = 17;

const FRAME_MAGIC = 0xfd2fb528;

/**
 * The length of the zstd frame at the start of `b` from its headers and block sizes (RFC 8878),
 * or undefined when `b` does not start with a whole frame (a skippable frame does not count).
 * It does not decode anything: the blocks themselves are the decoder's to check.
 */
export function zstdFrameLength(b: Uint8Array): number | undefined {
  if (b.length < 6 || (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0 !== FRAME_MAGIC) return undefined;
  const fhd = b[4];
  if (fhd & 0x08) return undefined; // reserved bit
  const singleSegment = (fhd >> 5) & 1;
  const fcsBytes = [singleSegment, 2, 4, 8][fhd >> 6];
  let at = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][fhd & 3] + fcsBytes;
  for (;;) {
    if (at + 3 > b.length) return undefined;
    const h = b[at] | (b[at + 1] << 8) | (b[at + 2] << 16);
    const type = (h >> 1) & 3;
    if (type === 3) return undefined; // reserved block type
    at += 3 + (type === 1 ? 1 : h >>> 3); // an RLE block stores one byte
    if (h & 1) break; // last block
  }
  at += fhd & 0x04 ? 4 : 0; // content checksum
  return at <= b.length ? at : undefined;
}

/** Whether `b` is exactly one complete zstd frame, the form of every stored zstd record. */
export const isOneZstdFrame = (b: Uint8Array): boolean => zstdFrameLength(b) === b.length;

function usable(z: unknown): z is NativeZstd {
  const n = z as Partial<NativeZstd>;
  return typeof n._handle?.writeSync === "function" && n._writeState instanceof Uint32Array && typeof n.reset === "function";
}

/** Runs one writeSync; returns [bytes written to out, input bytes left], or undefined on error. */
function step(z: NativeZstd, flush: number, input: Uint8Array, out: Uint8Array): [number, number] | undefined {
  const handle = z._handle;
  if (handle === null || z.destroyed) return undefined;
  handle.writeSync(flush, input, 0, input.length, out, 0, out.length);
  if (z._handle === null || z.destroyed) return undefined; // the handle reported an error and closed
  return [out.length - z._writeState[0], z._writeState[1]];
}

export interface ZstdContextOptions {
  /**
   * The largest window (log2 bytes) a frame given to `decompress` may use; a frame that needs more
   * fails (RangeError). Kept by every decompression context this creates, including the fresh one
   * that replaces a context dropped after an error. Default zstd's own limit (2^27).
   */
  windowLogMax?: number;
}

/** node:zlib's zstd functions, or undefined before Node 22.15 (the SDK also runs on older 22s). */
function zstdOf(): Pick<typeof zlib, "createZstdCompress" | "createZstdDecompress" | "zstdCompressSync" | "zstdDecompressSync"> | undefined {
  const z = zlib as Partial<typeof zlib>;
  const { createZstdCompress, createZstdDecompress, zstdCompressSync, zstdDecompressSync } = z;
  if (!createZstdCompress || !createZstdDecompress || !zstdCompressSync || !zstdDecompressSync) return undefined;
  return { createZstdCompress, createZstdDecompress, zstdCompressSync, zstdDecompressSync };
}

/** More than ZSTD_compressBound(n): room for any frame of n bytes in one output buffer. */
const frameBound = (n: number) => n + (n >>> 7) + 256;

/**
 * Contexts over node's one-shot functions (a native context per call), with the contract and
 * strictness of the reused ones: `decompress` takes exactly one complete frame, never produces
 * more than `plainSize` bytes, honours `windowLogMax` and throws RangeError on any failure.
 * Undefined only when this Node has no zstd.
 */
export function createPerCallZstdContexts(opts: ZstdContextOptions = {}): ZstdContexts | undefined {
  const z = zstdOf();
  if (z === undefined) return undefined;
  const decompressParams = opts.windowLogMax === undefined ? {} : { [C.ZSTD_d_windowLogMax]: opts.windowLogMax };
  return {
    compress(plain, level) {
      // One output buffer larger than any frame of `plain`: when a frame exactly filled node's
      // default 16 KiB output chunk, zstdCompressSync appended a second, empty frame.
      return z.zstdCompressSync(plain, {
        chunkSize: Math.max(64, frameBound(plain.length)),
        pledgedSrcSize: plain.length,
        params: { [C.ZSTD_c_compressionLevel]: level, [C.ZSTD_c_windowLog]: WINDOW_LOG, [C.ZSTD_c_checksumFlag]: 1 },
      });
    },

    decompress(frame, plainSize, into) {
      if (into !== undefined && into.length < plainSize + 1) throw new RangeError("output needs plainSize + 1 bytes");
      // The one-shot decoder decodes the first frame and ignores whatever follows it.
      if (!isOneZstdFrame(frame)) throw new RangeError("not exactly one complete zstd frame");
      let plain: Uint8Array;
      try {
        // maxOutputLength caps the output: a frame that would produce more fails.
        plain = z.zstdDecompressSync(frame, { maxOutputLength: Math.max(1, plainSize), params: decompressParams });
      } catch (e) {
        throw new RangeError(`corrupt zstd frame: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (plain.length !== plainSize) throw new RangeError(`decoded ${plain.length} bytes, expected ${plainSize}`);
      if (into === undefined) return plain;
      into.set(plain);
      return into.subarray(0, plainSize);
    },
  };
}

/**
 * Contexts that work whenever this Node has zstd: reused native contexts where node:zlib exposes
 * what they need, else per-call ones. Undefined only when this Node has no zstd.
 */
export function createZstdContexts(opts: ZstdContextOptions = {}): ZstdContexts | undefined {
  return createReusedZstdContexts(opts) ?? createPerCallZstdContexts(opts);
}

/** Reused native contexts, or undefined when this Node's zlib does not expose what they need. */
export function createReusedZstdContexts(opts: ZstdContextOptions = {}): ZstdContexts | undefined {
  const zstd = zstdOf();
  if (zstd === undefined) return undefined;
  const perCall = createPerCallZstdContexts(opts)!;
  const compressors = new Map<number, NativeZstd>();
  let decompressor: NativeZstd | undefined;
  let scratch = Buffer.allocUnsafe(0); // compressor output, copied out at its exact size

  const make = (z: unknown): NativeZstd | undefined => {
    if (!usable(z)) return undefined;
    z.on("error", () => undefined); // errors are read synchronously in step(); never let one go unhandled
    return z;
  };
  const compressor = (level: number) => {
    let z = compressors.get(level);
    if (z === undefined || z.destroyed) {
      // Streamed frames do not record their content size, which a one-shot frame does and the
      // decoder checks; a content checksum (4 bytes) makes a damaged frame fail in the decoder.
      const params = { [C.ZSTD_c_compressionLevel]: level, [C.ZSTD_c_windowLog]: WINDOW_LOG, [C.ZSTD_c_checksumFlag]: 1 };
      z = make(zstd.createZstdCompress({ params }));
      if (z === undefined) throw new Error("zstd context unavailable");
      compressors.set(level, z);
    }
    return z;
  };
  const decompressorParams = opts.windowLogMax === undefined ? {} : { [C.ZSTD_d_windowLogMax]: opts.windowLogMax };
  const newDecompressor = () => make(zstd.createZstdDecompress({ params: decompressorParams }));
  // The decompressor doubles as the probe: when it cannot be driven, neither can a compressor.
  decompressor = newDecompressor();
  if (decompressor === undefined) return undefined;

  return {
    compress(plain, level, into) {
      // No reset(): node's resets the parameters too (the level). A context that finished its last
      // frame (ZSTD_e_end, all input taken) starts the next one clean; any other is dropped below.
      const z = compressor(level);
      const bound = frameBound(plain.length);
      if (scratch.length < bound) scratch = Buffer.allocUnsafe(Math.max(bound, 256 * 1024));
      const out = scratch.subarray(0, bound);
      const r = step(z, C.ZSTD_e_end, plain, out);
      if (r === undefined || r[1] !== 0 || r[0] === out.length) {
        compressors.delete(level);
        return perCall.compress(plain, level);
      }
      if (into !== undefined && r[0] <= into.length) {
        into.set(out.subarray(0, r[0]));
        return into.subarray(0, r[0]);
      }
      return Uint8Array.prototype.slice.call(out, 0, r[0]);
    },

    decompress(frame, plainSize, into) {
      if (decompressor === undefined || decompressor.destroyed) decompressor = newDecompressor();
      const z = decompressor;
      if (z === undefined) throw new Error("zstd context unavailable");
      if (into !== undefined && into.length < plainSize + 1) throw new RangeError("output needs plainSize + 1 bytes");
      // Exactly one whole frame, or the decoder could stop mid-frame with all input taken and the
      // next frame would continue this one.
      if (!isOneZstdFrame(frame)) throw new RangeError("not exactly one complete zstd frame");
      const out = into === undefined ? Buffer.allocUnsafe(plainSize + 1) : into.subarray(0, plainSize + 1);
      const r = step(z, C.ZSTD_e_end, frame, out);
      if (r === undefined) {
        decompressor = undefined;
        throw new RangeError("corrupt zstd frame");
      }
      if (r[1] !== 0 || r[0] !== plainSize) {
        decompressor = undefined; // possibly mid-frame: never reuse
        throw new RangeError(`decoded ${r[0]}${r[0] > plainSize ? "+" : ""} bytes, expected ${plainSize}`);
      }
      return out.subarray(0, plainSize);
    },
  };
}
