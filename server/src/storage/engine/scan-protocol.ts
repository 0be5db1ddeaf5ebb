/**
 * Messages between createContentWorkers (main thread) and scan-worker.ts. A stream is opened,
 * fed pieces in order, then ended or closed. Every `data` message gets one `data` answer, in order,
 * carrying the piece's buffer back (transferred) and the chunks the piece completed.
 */
import type { ChunkerOptions } from "../../../../sdk/src/chunking/fastcdc.js";
import type { DomainError, DomainErrorName } from "../../domain/errors.js";
import type { ChunkLocation } from "./types.js";

export type ToWorker =
  | { t: "open"; id: number; chunking?: Partial<ChunkerOptions> }
  /** The next `len` bytes of the stream, at the start of `buf` (transferred). */
  | { t: "data"; id: number; buf: ArrayBuffer; len: number }
  /** The stream is complete: answer with the last chunk and the content digest. */
  | { t: "end"; id: number }
  /** Forget the stream (the main thread gave up on it); no answer. */
  | { t: "close"; id: number }
  /**
   * Open the records of one fetched pack range (`buf`, transferred, starts at pack offset `start`).
   * Answered by `opened` or `failed`: when every record is plain raw (isPlainRaw), each is checked
   * where it lies and `buf` itself comes back; otherwise the plaintexts come back to back in a new
   * buffer.
   */
  | { t: "records"; id: number; storeId: string; dataKey?: Uint8Array; buf: ArrayBuffer; start: number; records: WireLocation[] };

/** A chunk location as it crosses threads (the digest as bytes). */
export type WireLocation = Omit<ChunkLocation, "digest"> & { digest: Uint8Array };

export type ToMain =
  /** `ends`: ends (relative to the piece) of the chunks it completed; `digests`: 32 bytes each. */
  | { t: "data"; id: number; buf: ArrayBuffer; ends: number[]; digests: Uint8Array }
  /** `last`: size of the final, incomplete chunk (0: none) and its digest; `sha256`: whole content. */
  | { t: "end"; id: number; last: number; lastDigest?: Uint8Array; sha256: Uint8Array }
  | { t: "error"; id: number; message: string }
  | { t: "opened"; id: number; buf: ArrayBuffer }
  /**
   * The first `opened` records opened (in `buf`), then one failed with the error openRecord raised:
   * a domain error (`name`, `message`, `details`) to raise again after yielding those, or another
   * error (`name` "Other").
   */
  | { t: "failed"; id: number; buf: ArrayBuffer; opened: number; name: DomainErrorName | "Other"; details?: DomainError["details"]; message: string };
