/**
 * The stages of the incremental uploader after a window is cut: hash its chunks (ChunkWork),
 * ask FindMissingChunks which the store lacks (windows in stream order), compress those
 * (ChunkWork) and queue them, gathered into messages of about MESSAGE_BYTES, on the upload's
 * UploadChunks stream, a new one every `streamBytes` (so the server packs them as it packs any
 * ingest, not one small pack per window). Up to MAX_WINDOWS_IN_FLIGHT windows move through these
 * stages at once; `add` waits for room. The chunk list comes out in stream order.
 */
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { UploadChunksRequestSchema, UploadService } from "../../../gen/vellum/v1/upload_service_pb.js";
import type { UploadSnapshotHeaderSchema } from "../../../gen/vellum/v1/snapshot_service_pb.js";
import type { ChunkWindow, ChunkWork } from "./chunk-pool.js";

/** Windows between being cut and their last chunk taken by the stream, at once. */
export const MAX_WINDOWS_IN_FLIGHT = 4;

/**
 * Default chunk payload bytes per UploadChunks stream. The server makes a stream's chunks durable only when
 * it ends (a failed stream's chunks are dropped), so the uploader ends a stream after this many
 * bytes and opens the next: a failure then loses at most this much for a retry to send again,
 * while each stream still fills several full packs.
 */
export const DEFAULT_STREAM_BYTES = 64 * 1024 * 1024;

/** Digests asked about per FindMissingChunks call. */
const FIND_BATCH = 10_000;

/**
 * Chunk payload bytes gathered into one UploadChunks message (`more_data`) before it is queued: one
 * message per chunk cost each side a message's framing, serialization and stream bookkeeping for
 * every few kilobytes of compressed chunk. Far below the server's message size limit (16 MiB by
 * default, at least 64 KiB); a chunk larger than this travels alone.
 */
export const MESSAGE_BYTES = 1024 * 1024;

export interface WindowSenderDeps {
  uploads: Client<typeof UploadService>;
  header: MessageInitShape<typeof UploadSnapshotHeaderSchema>;
  /** Options of every call; the signal cancels them all. */
  call: { signal: AbortSignal; headers?: HeadersInit };
  /** Chunk payload bytes after which a stream is ended and the next opened. */
  streamBytes: number;
  /** zstd level of the chunks sent; 0 sends them raw. */
  level: number;
  work: ChunkWork;
  /** `p`, or the upload's failure if that comes first. */
  guard: <T>(p: Promise<T>) => Promise<T>;
  /** Ends the upload with `err` (the first failure wins). */
  fail: (err: unknown) => void;
  /** Takes back a window buffer no stage uses any more. */
  recycle: (buf: SharedArrayBuffer) => void;
}

export interface SendStats {
  chunksSent: number;
  bytesSent: number;
  chunkBytesSent: number;
  overheadBytes: number;
}

/** A window's chunk list: 32-byte digests back to back and the chunks' end offsets. */
interface Hashed {
  digests: Uint8Array;
  ends: Uint32Array;
}

type ChunkMessage = MessageInitShape<typeof UploadChunksRequestSchema>;

/** A digest as a short string key (32 one-byte characters). */
const keyAt = (digests: Uint8Array, i: number) => Buffer.from(digests.buffer, digests.byteOffset + i * 32, 32).toString("latin1");

/**
 * The messages of one UploadChunks stream, queued by windows as they are ready; the call starts
 * with the first. `put` resolves once the stream has taken the message (serialized it), so the
 * window's buffers may be reused. `open` gets the number of chunks put, final once the stream ends.
 */
function createChunkStream(open: (messages: AsyncIterable<ChunkMessage>, chunksPut: () => number) => Promise<unknown>) {
  const queue: { m: ChunkMessage; taken(): void }[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  let call: Promise<unknown> | undefined;
  let chunks = 0;
  async function* messages(): AsyncGenerator<ChunkMessage> {
    for (;;) {
      const next = queue.shift();
      if (next) {
        yield next.m;
        next.taken(); // the stream asked for the message after it: this one is serialized
      } else if (ended) {
        return;
      } else {
        await new Promise<void>((r) => (wake = r));
      }
    }
  }
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  return {
    put(m: ChunkMessage): Promise<void> {
      call ??= open(messages(), () => chunks);
      chunks += m.moreLengths!.length;
      return new Promise<void>((taken) => {
        queue.push({ m, taken });
        notify();
      });
    },
    /** Ends the stream; settles with the call (at once when nothing was sent). */
    end(): Promise<unknown> {
      ended = true;
      notify();
      return call ?? Promise.resolve();
    },
  };
}

export function createWindowSender(d: WindowSenderDeps) {
  const storeId = d.header.storeId ?? "";
  const encrypted = d.header.encrypt ?? false;
  const stats: SendStats = { chunksSent: 0, bytesSent: 0, chunkBytesSent: 0, overheadBytes: 0 };
  const hashed: Hashed[] = [];
  const active: Promise<void>[] = [];
  const all: Promise<void>[] = [];
  /**
   * Digests (keyAt) queued on a stream that has not ended yet: the server has them only once it
   * ends, so later windows leave them out. A stream's digests are forgotten when it ends (the
   * server then reports them present), so the set holds at most about two streams' worth.
   */
  const sending = new Set<string>();
  const openStream = () =>
    createChunkStream((messages, chunksPut) => {
      const call = d.uploads
        .uploadChunks((async function* () {
          yield { storeId, encrypted };
          yield* messages;
        })(), d.call)
        .then((res) => {
          // A server that stored fewer chunks than were sent (one that predates `more_data`) would
          // otherwise fail only at the commit, as missing chunks.
          if (res.chunksReceived !== BigInt(chunksPut())) {
            throw new ConnectError(`UploadChunks: the server received ${res.chunksReceived} of ${chunksPut()} chunks sent`, Code.FailedPrecondition);
          }
          return res;
        });
      call.catch(d.fail); // a server error ends the upload at once, not at the end of the stream
      return call;
    });
  /** The stream taking messages now, the bytes put on it, and the earlier streams' ends. */
  let stream = openStream();
  let streamBytes = 0;
  let streamKeys: string[] = [];
  const ended: Promise<unknown>[] = [];
  /** Queues a message of chunks (digests `keys`) on the stream, opening the next one every streamBytes. */
  const put = (m: ChunkMessage, keys: string[]): Promise<void> => {
    if (streamBytes >= d.streamBytes) {
      const durable = streamKeys;
      const end = stream.end();
      // once the server has answered, the chunks are durable and FindMissingChunks reports them;
      // a failure is observed by finish() and already reached d.fail
      end.then(() => durable.forEach((k) => sending.delete(k)), () => undefined);
      ended.push(end);
      stream = openStream();
      streamBytes = 0;
      streamKeys = [];
    }
    streamBytes += m.moreData!.length;
    for (const k of keys) streamKeys.push(k);
    return stream.put(m);
  };
  /** Payload bytes the stream the next message goes to takes before it ends. */
  const streamRoom = () => (streamBytes >= d.streamBytes ? d.streamBytes : d.streamBytes - streamBytes);
  let lookedUp: Promise<void> = Promise.resolve(); // the previous window's FindMissingChunks
  /** Frames buffers of windows sent, for the next ones (at most one per window in flight). */
  const framesFree: SharedArrayBuffer[] = [];
  const takeFramesBuffer = (bytes: number): SharedArrayBuffer => {
    const i = framesFree.findIndex((b) => b.byteLength >= bytes);
    return i >= 0 ? framesFree.splice(i, 1)[0] : new SharedArrayBuffer(bytes);
  };
  const giveFramesBuffer = (b: SharedArrayBuffer) => void (framesFree.length < MAX_WINDOWS_IN_FLIGHT && framesFree.push(b));

  /** Indexes of the window's chunks to send: the first of each digest, unless present or already being sent. */
  async function missing(h: Hashed): Promise<{ picks: Uint32Array; keys: string[] }> {
    const first = new Map<string, number>();
    for (let i = 0; i < h.ends.length; i++) {
      const key = keyAt(h.digests, i);
      if (!first.has(key) && !sending.has(key)) first.set(key, i);
    }
    const asked = [...first.values()];
    const absent = new Set<string>();
    for (let i = 0; i < asked.length; i += FIND_BATCH) {
      const batch = asked.slice(i, i + FIND_BATCH).map((c) => h.digests.subarray(c * 32, c * 32 + 32));
      stats.overheadBytes += batch.length * 34;
      const res = await d.guard(d.uploads.findMissingChunks({ storeId, digests: batch, encrypted }, d.call));
      for (const m of res.missingDigests) absent.add(Buffer.from(m).toString("latin1"));
    }
    const keys = [...first.keys()].filter((k) => absent.has(k));
    for (const k of keys) sending.add(k);
    return { picks: Uint32Array.from(keys, (k) => first.get(k)!), keys };
  }

  async function send(w: ChunkWindow, { picks, keys }: { picks: Uint32Array; keys: string[] }): Promise<void> {
    let frames: Uint8Array | undefined;
    let lengths: Int32Array | undefined;
    // The frames go into a buffer kept from window to window, not one made by the worker for each:
    // those were freed on this thread, into the worker's malloc arena, which grew. After a failure
    // the buffer is dropped, not kept: a worker may still be writing into it.
    const out = d.level > 0 ? takeFramesBuffer(Math.max(w.len, w.buf.byteLength)) : undefined;
    if (out) ({ frames, lengths } = await d.guard(d.work.compress(w, picks, d.level, out)));
    await sendRuns(w, picks, keys, frames, lengths);
    if (out) giveFramesBuffer(out);
  }

  /** Queues a window's picked chunks as UploadChunks messages (runs of frames or of raw chunks); resolves once every one is taken. */
  async function sendRuns(w: ChunkWindow, picks: Uint32Array, keys: string[], frames: Uint8Array | undefined, lengths: Int32Array | undefined): Promise<void> {
    const window = new Uint8Array(w.buf, 0, w.len);
    const { ends } = w;
    // A window's chunks may straddle two streams (a new one starts every streamBytes), and each
    // stream takes its messages at its own pace: the window is free only once every one is taken.
    const taken: Promise<void>[] = [];
    // A message's chunks are a run of bytes back to back in one buffer (the frames, or the window
    // for chunks sent raw), sent as a view of it: no copy before serialization.
    // The run holds picks [first, first + runLengths.length).
    let run: Uint8Array | undefined;
    let from = 0;
    let to = 0;
    let first = 0;
    let runLengths: number[] = [];
    let runSizes: number[] = [];
    const flush = () => {
      const m = { moreData: run!.subarray(from, to), moreLengths: runLengths, moreSizes: runSizes };
      taken.push(put(m, keys.slice(first, first + runLengths.length)));
      run = undefined;
      runLengths = [];
      runSizes = [];
    };
    for (let i = 0, at = 0; i < picks.length; i++) {
      const c = picks[i];
      const start = c === 0 ? 0 : ends[c - 1];
      const plainSize = ends[c] - start;
      stats.chunkBytesSent += plainSize;
      const zstd = lengths !== undefined && lengths[i] >= 0;
      const src = zstd ? frames! : window;
      const begin = zstd ? at : start;
      const n = zstd ? lengths![i] : plainSize;
      if (zstd) at += n;
      if (run !== undefined && (src !== run || begin !== to || to - from + n > MESSAGE_BYTES)) flush();
      if (run === undefined) {
        run = src;
        from = to = begin;
        first = i;
      }
      to += n;
      runLengths.push(n);
      runSizes.push(zstd ? plainSize : 0);
      stats.bytesSent += n;
      // A message ends where its stream would: a stream still ends at the first chunk that takes it to streamBytes.
      if (to - from >= streamRoom()) flush();
    }
    if (run !== undefined) flush();
    stats.chunksSent += picks.length;
    await d.guard(Promise.all(taken));
  }

  async function run(w: ChunkWindow, k: number, previous: Promise<void>, lookupDone: () => void): Promise<void> {
    const digests = await d.guard(d.work.hash(w));
    hashed[k] = { digests, ends: w.ends };
    await d.guard(previous);
    const picked = await missing(hashed[k]);
    lookupDone();
    if (picked.picks.length) await send(w, picked);
    d.recycle(w.buf);
  }

  return {
    stats,
    /** Starts a window through the stages, once fewer than MAX_WINDOWS_IN_FLIGHT are. */
    async add(w: ChunkWindow): Promise<void> {
      while (active.length >= MAX_WINDOWS_IN_FLIGHT) await d.guard(active.shift()!);
      const previous = lookedUp;
      let lookupDone!: () => void;
      lookedUp = new Promise<void>((r) => (lookupDone = r));
      const k = hashed.push({ digests: new Uint8Array(0), ends: new Uint32Array(0) }) - 1; // filled in by run()
      const p = run(w, k, previous, lookupDone);
      p.catch(d.fail);
      active.push(p);
      all.push(p);
    },
    /**
     * Waits for every window and the end of the stream (every chunk sent is durable); the chunk
     * list in stream order, packed as CommitSnapshot takes it: 32-byte digests back to back and
     * the sizes (no object per chunk: a 4 GiB upload has over 100,000).
     */
    async finish(): Promise<{ digests: Uint8Array; sizes: number[] }> {
      while (active.length) await d.guard(active.shift()!);
      await d.guard(stream.end());
      for (const end of ended) await d.guard(end);
      sending.clear();
      const digests = new Uint8Array(hashed.reduce((n, h) => n + h.digests.length, 0));
      const sizes: number[] = [];
      let at = 0;
      for (const h of hashed) {
        digests.set(h.digests, at);
        at += h.digests.length;
        let from = 0;
        for (const end of h.ends) {
          sizes.push(end - from);
          from = end;
        }
      }
      return { digests, sizes };
    },
    /** Settles once no window's stage is running (after a failure, once each has noticed it). */
    async settled(): Promise<void> {
      await Promise.allSettled(all);
    },
  };
}
