/**
 * Worker thread behind createChunkPool (chunk-pool.ts): hashes and compresses the chunks of the
 * windows it is sent (chunk-work.ts). A window is read in place in its SharedArrayBuffer, and its
 * frames are written into the SharedArrayBuffer sent with it; the digests and frame lengths go back
 * transferred, so nothing is copied between threads.
 */
import { parentPort } from "node:worker_threads";
import { compressChunks, hashChunks } from "./chunk-work.js";
import type { ToMain, ToWorker } from "./chunk-pool.js";
import { createZstdContexts, type ZstdContexts } from "./zstd-context.js";

const port = parentPort!;
/** This thread's zstd contexts, made on the first compression; undefined when this Node has no zstd. */
let zstd: ZstdContexts | undefined | null = null;

function handle(m: ToWorker): { reply: ToMain; transfer: ArrayBuffer[] } {
  const window = new Uint8Array(m.buf, 0, m.len);
  if (m.t === "hash") {
    const digests = hashChunks(window, m.ends);
    return { reply: { t: "hashed", id: m.id, digests }, transfer: [digests.buffer as ArrayBuffer] };
  }
  if (zstd === null) zstd = createZstdContexts();
  const { frames, lengths } = compressChunks(window, m.ends, m.picks, m.level, zstd, new Uint8Array(m.out));
  return { reply: { t: "compressed", id: m.id, lengths, total: frames.length }, transfer: [lengths.buffer as ArrayBuffer] };
}

port.on("message", (m: ToWorker) => {
  let answer: { reply: ToMain; transfer: ArrayBuffer[] };
  try {
    answer = handle(m);
  } catch (err) {
    answer = { reply: { t: "error", id: m.id, message: err instanceof Error ? err.message : String(err) }, transfer: [] };
  }
  port.postMessage(answer.reply, answer.transfer);
});
