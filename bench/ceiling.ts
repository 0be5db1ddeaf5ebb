/**
 * What this machine allows a throughput ratio to reach. Vellum's server does at least what the
 * bare server does (receive or send the same gRPC stream), plus the work per byte that the storage
 * format requires and no implementation can skip:
 * - upload: FastCDC boundaries, a SHA-256 per chunk (its id) and zstd per chunk (kept where it pays);
 * - download: zstd decoding and a SHA-256 per chunk (every read verifies).
 * `requiredCpu` measures that work on this thread with the engine's own functions, over the same
 * content. Nothing else counts: not the content's SHA-256, encryption, pack writes, PostgreSQL or
 * any copy. Client, server and database share the machine's cores, so a transfer takes at least
 * (client + bare server + required) CPU seconds / cores, and its ratio to bare is at most the bare
 * time divided by that. The client does the same work against either server.
 */
import { hash } from "node:crypto";
import { chunkBoundaries } from "../sdk/src/chunking/fastcdc.js";
import { decodeChunk, encodeChunk } from "../server/src/storage/engine/codec.js";
import type { Codec } from "../server/src/storage/engine/types.js";

/** CPU seconds this process has used (all its threads; the work below runs on this one). */
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** CPU seconds of the required upload and download work for `data`, the least of `reps` runs. */
export function requiredCpu(data: Uint8Array, reps = 3): { upload: number; download: number } {
  let upload = Infinity;
  let download = Infinity;
  for (let r = 0; r < reps; r++) {
    const records: { codec: Codec; data: Uint8Array; size: number }[] = [];
    let t = cpuNow();
    let start = 0;
    for (const end of chunkBoundaries(data)) {
      const plain = data.subarray(start, end);
      hash("sha256", plain, "buffer");
      const e = encodeChunk(plain, { compress: true });
      records.push({ codec: e.codec, data: e.data, size: plain.length });
      start = end;
    }
    upload = Math.min(upload, cpuNow() - t);

    // Decoded into one reused buffer, as the server decodes into a group's buffer: no allocation.
    const into = new Uint8Array(records.reduce((max, rec) => Math.max(max, rec.size), 0) + 1);
    t = cpuNow();
    let n = 0;
    for (const rec of records) n += hash("sha256", decodeChunk(rec.codec, rec.data, rec.size, rec.codec === "zstd" ? into : undefined), "buffer").length;
    download = Math.min(download, cpuNow() - t);
    if (n !== records.length * 32) throw new Error("bench: a chunk did not decode");
  }
  return { upload, download };
}

/** The highest ratio to bare that `cpuSeconds` of unavoidable work on `cores` cores allows. */
export const ratioCeiling = (bareMs: number, cpuSeconds: number, cores: number) => bareMs / 1000 / (cpuSeconds / cores);
