/**
 * The first stage of an ingest: cut a byte stream into content-defined chunks, hash each chunk
 * (its id) and the whole content. Two implementations with identical output: `inlineScanner` runs
 * on the calling thread; `createContentWorkers` (content-workers.ts) does the hashing and the
 * boundary scan on worker threads, so the event loop only slices.
 */
import { type ChunkerOptions, createChunker } from "../../../../sdk/src/chunking/fastcdc.js";
import { type Sha256, createHasher, digestOf } from "../../domain/digest.js";

export interface ScannedChunk {
  /** The chunk's bytes: a view of the source's buffer when it lies within one (see copyInput). */
  data: Uint8Array;
  /** SHA-256 of `data`. */
  digest: Sha256;
}

export interface ScanOptions {
  chunking?: Partial<ChunkerOptions>;
  /**
   * False when the source never writes to a buffer after yielding it: chunks may then be views of
   * the source's buffers. True: every chunk is the scanner's own memory.
   */
  copyInput: boolean;
}

export interface ContentScan {
  /** The chunks in stream order, in batches; ends after the source's last (short) chunk. */
  batches: AsyncIterable<ScannedChunk[]>;
  /** Size and SHA-256 of the whole content; only once `batches` has been read to its end. */
  result(): { size: number; sha256: Sha256 };
  /**
   * The consumer no longer uses the chunks that end at or before content offset `upTo`, so the
   * scanner may reuse their memory. A scanner may hold what it has yielded until this is called.
   */
  release(upTo: number): void;
}

export type ChunkScanner = (source: AsyncIterable<Uint8Array>, o: ScanOptions) => ContentScan;

/** Scans on the calling thread: one source buffer at a time, between reads of the source. */
export const inlineScanner: ChunkScanner = (source, o) => {
  const chunker = createChunker(o.chunking);
  const hasher = createHasher();
  let size = 0;
  let done: { size: number; sha256: Sha256 } | undefined;
  const scanned = (chunks: Uint8Array[]) => chunks.map((data) => ({ data, digest: digestOf(data) }));
  return {
    batches: (async function* () {
      for await (const bytes of source) {
        hasher.update(bytes);
        size += bytes.length;
        // Chunks inside `bytes` are views of it; copy them when the source may reuse its buffers.
        const chunks = chunker.push(bytes);
        yield scanned(o.copyInput ? chunks.map((c) => (c.buffer === bytes.buffer ? new Uint8Array(c) : c)) : chunks);
      }
      yield scanned(chunker.finish());
      done = { size, sha256: hasher.digest() };
    })(),
    result() {
      if (!done) throw new Error("content scan result read before the scan finished");
      return done;
    },
    release() {}, // chunks are the source's buffers or fresh copies: nothing to reuse
  };
};
