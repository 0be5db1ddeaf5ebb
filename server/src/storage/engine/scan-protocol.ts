/**
 * Messages between createContentWorkers (main thread) and scan-worker.ts. A stream is opened,
 * fed pieces in order, then ended or closed. Every `data` message gets one `data` answer, in order,
 * carrying the piece's buffer back (transferred) and the chunks the piece completed.
 */
import type { ChunkerOptions } from "../../../../sdk/src/chunking/fastcdc.js";
import type { DomainError, DomainErrorName } from "../../domain/errors.js";
import { Sha256 } from "../../domain/digest.js";
import { CODEC_IDS, type ChunkLocation, codecFromId } from "./types.js";

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
   * where it lies and `buf` itself comes back (the only one of `bufs`); otherwise the plaintexts
   * come back to back in new buffers laid out by plainLayout.
   */
  | ({ t: "records"; id: number; storeId: string; dataKey?: Uint8Array; buf: ArrayBuffer; start: number } & WireRecords);

/**
 * The locations of one group's records (all in pack `packId`) as they cross threads: two typed
 * arrays instead of an object and a digest array per record, which cost the event loop about
 * 0.3 s per 512 MiB downloaded to clone. `fields` holds RECORD_FIELDS numbers per record.
 */
export interface WireRecords {
  packId: string;
  /** 32 bytes per record. */
  digests: Uint8Array;
  /** Per record: offset, length, plainSize, codec id (CODEC_IDS), encrypted (1) or not (0). */
  fields: Float64Array;
}

const RECORD_FIELDS = 5;

export function toWireRecords(locations: readonly ChunkLocation[]): WireRecords {
  const digests = new Uint8Array(locations.length * 32);
  const fields = new Float64Array(locations.length * RECORD_FIELDS);
  locations.forEach((l, i) => {
    digests.set(l.digest.bytes, i * 32);
    const f = i * RECORD_FIELDS;
    fields[f] = l.offset;
    fields[f + 1] = l.length;
    fields[f + 2] = l.plainSize;
    fields[f + 3] = CODEC_IDS[l.codec];
    fields[f + 4] = l.encrypted ? 1 : 0;
  });
  return { packId: locations[0]?.packId ?? "", digests, fields };
}

export function fromWireRecords(w: WireRecords): ChunkLocation[] {
  const out: ChunkLocation[] = [];
  for (let i = 0, f = 0; f < w.fields.length; i++, f += RECORD_FIELDS) {
    const codec = codecFromId(w.fields[f + 3]);
    if (codec === undefined) throw new Error(`unknown codec id ${w.fields[f + 3]}`);
    out.push({
      digest: Sha256.fromBytes(w.digests.subarray(i * 32, i * 32 + 32)),
      packId: w.packId,
      offset: w.fields[f],
      length: w.fields[f + 1],
      plainSize: w.fields[f + 2],
      codec,
      encrypted: w.fields[f + 4] === 1,
    });
  }
  return out;
}

export type ToMain =
  /** `ends`: ends (relative to the piece) of the chunks it completed; `digests`: 32 bytes each. */
  | { t: "data"; id: number; buf: ArrayBuffer; ends: number[]; digests: Uint8Array }
  /** `last`: size of the final, incomplete chunk (0: none) and its digest; `sha256`: whole content. */
  | { t: "end"; id: number; last: number; lastDigest?: Uint8Array; sha256: Uint8Array }
  | { t: "error"; id: number; message: string }
  | { t: "opened"; id: number; bufs: ArrayBuffer[] }
  /**
   * The first `opened` records opened (in `bufs`), then one failed with the error openRecord raised:
   * a domain error (`name`, `message`, `details`) to raise again after yielding those, or another
   * error (`name` "Other").
   */
  | { t: "failed"; id: number; bufs: ArrayBuffer[]; opened: number; name: DomainErrorName | "Other"; details?: DomainError["details"]; message: string };

/**
 * Largest buffer that opened plaintexts go into. A group's plaintexts (up to a read span, 4 MiB)
 * are split over buffers of at most this size: below the 256 KiB mmap threshold that `npm start`
 * sets, so the worker's allocations reuse heap memory instead of mapping a fresh span whose every
 * page faults in (about 20,000 faults and 0.16 s of system time per 100 MB downloaded).
 */
export const PLAIN_BUFFER_MAX_BYTES = 240 * 1024;

/**
 * Where the plaintexts of records of sizes `sizes` go, back to back: for each its buffer and
 * offset, and the size of each buffer. Consecutive records share a buffer while they fit within
 * PLAIN_BUFFER_MAX_BYTES (a larger record gets one of its own); each buffer has one spare byte
 * after its last record (zstd's, see ZstdContexts). Both threads compute it, so it never crosses.
 */
export function plainLayout(sizes: readonly number[]): { at: { buf: number; offset: number }[]; buffers: number[] } {
  const at: { buf: number; offset: number }[] = [];
  const buffers: number[] = [];
  for (const n of sizes) {
    const last = buffers.length - 1;
    if (last >= 0 && buffers[last] + n <= PLAIN_BUFFER_MAX_BYTES) {
      at.push({ buf: last, offset: buffers[last] - 1 });
      buffers[last] += n;
    } else {
      at.push({ buf: buffers.length, offset: 0 });
      buffers.push(n + 1);
    }
  }
  return { at, buffers };
}
