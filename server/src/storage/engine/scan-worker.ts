/**
 * Worker thread behind createContentWorkers: finds chunk boundaries (FastCDC) and computes the
 * SHA-256 of every chunk and of the whole content, for any number of interleaved streams; and opens
 * (decrypts, decodes, verifies) the records of fetched pack ranges for downloads. It never
 * keeps bytes: each piece is hashed where it lies (a chunk spanning pieces is hashed incrementally)
 * and its buffer goes back to the main thread with the answer. Protocol: scan-protocol.ts.
 */
import { type Hash, createHash, hash } from "node:crypto";
import { parentPort } from "node:worker_threads";
import { type BoundaryScanner, createBoundaryScanner } from "../../../../sdk/src/chunking/fastcdc.js";
import { isDomainError } from "../../domain/errors.js";
import { isPlainRaw, openRecord } from "./chunk-record.js";
import { type ToMain, type ToWorker, fromWireRecords, plainLayout } from "./scan-protocol.js";

interface StreamState {
  boundaries: BoundaryScanner;
  /** The chunk that began in an earlier piece, hashed so far; undefined when none is open. */
  chunk?: Hash;
  content: Hash;
}

const port = parentPort!;
const streams = new Map<number, StreamState>();

function piece(s: StreamState, bytes: Uint8Array): { ends: number[]; digests: Uint8Array } {
  s.content.update(bytes);
  const ends = s.boundaries.push(bytes);
  const digests = new Uint8Array(ends.length * 32);
  let from = 0;
  ends.forEach((end, i) => {
    const part = bytes.subarray(from, end);
    // One-shot hashing for chunks within the piece: no Hash object, whose native context would
    // otherwise wait for this thread's rare GCs (a Hash per chunk grew RSS linearly).
    digests.set(s.chunk ? s.chunk.update(part).digest() : hash("sha256", part, "buffer"), i * 32);
    s.chunk = undefined;
    from = end;
  });
  if (from < bytes.length) (s.chunk ??= createHash("sha256")).update(bytes.subarray(from));
  return { ends, digests };
}

/** The answer for a record openRecord rejected, after `opened` good ones (in `bufs`). */
function failed(id: number, bufs: ArrayBuffer[], opened: number, err: unknown): ToMain {
  const message = err instanceof Error ? err.message : String(err);
  return isDomainError(err) ? { t: "failed", id, bufs, opened, name: err.name, details: err.details, message } : { t: "failed", id, bufs, opened, name: "Other", message };
}

/**
 * Opens a fetched group's records: plain raw ones are checked where they lie and the buffer goes
 * back as it came; otherwise the plaintexts go back to back into new buffers (plainLayout).
 */
function openRecords(m: Extract<ToWorker, { t: "records" }>): ToMain {
  const bytes = new Uint8Array(m.buf);
  const records = fromWireRecords(m);
  const inPlace = records.every(isPlainRaw);
  const layout = inPlace ? undefined : plainLayout(records.map((r) => r.plainSize));
  const outs = layout ? layout.buffers.map((n) => new Uint8Array(new ArrayBuffer(n))) : [bytes];
  const bufs = outs.map((o) => o.buffer as ArrayBuffer);
  let opened = 0;
  try {
    for (const [i, r] of records.entries()) {
      const record = bytes.subarray(r.offset - m.start, r.offset - m.start + r.length);
      const place = layout?.at[i];
      const out = place ? outs[place.buf].subarray(place.offset) : undefined;
      const into = out !== undefined && r.codec === "zstd" ? out : undefined;
      const plain = openRecord(record, r, { storeId: m.storeId, dataKey: m.dataKey }, into);
      if (out !== undefined && into === undefined) out.set(plain);
      opened++;
    }
  } catch (err) {
    return failed(m.id, bufs, opened, err);
  }
  return { t: "opened", id: m.id, bufs };
}

function handle(m: ToWorker): ToMain | undefined {
  if (m.t === "records") return openRecords(m);
  if (m.t === "open") {
    streams.set(m.id, {
      boundaries: createBoundaryScanner(m.chunking),
      content: createHash("sha256"),
    });
    return undefined;
  }
  if (m.t === "close") {
    streams.delete(m.id);
    return undefined;
  }
  const s = streams.get(m.id);
  if (!s) return undefined; // closed by the main thread while this message was queued
  if (m.t === "data") {
    const { ends, digests } = piece(s, new Uint8Array(m.buf, 0, m.len));
    return { t: "data", id: m.id, buf: m.buf, ends, digests };
  }
  streams.delete(m.id);
  const last = s.boundaries.finish();
  return { t: "end", id: m.id, last, lastDigest: last > 0 ? s.chunk!.digest() : undefined, sha256: s.content.digest() };
}

port.on("message", (m: ToWorker) => {
  let reply: ToMain | undefined;
  try {
    reply = handle(m);
  } catch (err) {
    streams.delete(m.id);
    reply = { t: "error", id: m.id, message: err instanceof Error ? err.message : String(err) };
  }
  if (!reply) return;
  if (reply.t === "data") port.postMessage(reply, [reply.buf, reply.digests.buffer as ArrayBuffer]);
  else if (reply.t === "opened" || reply.t === "failed") port.postMessage(reply, reply.bufs);
  else port.postMessage(reply);
});
