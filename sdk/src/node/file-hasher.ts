import { createHash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { Worker } from "node:worker_threads";
import { IntegrityError } from "../errors.js";

/**
 * SHA-256 of a file being written, hashed in order as far as `advance(end)` says its bytes are in
 * place; `digest(size)` waits until the first `size` bytes are hashed. `close()` frees what it
 * holds and must be called whatever happened.
 */
export interface FileHasher {
  advance(end: number): void;
  digest(size: number): Promise<string>;
  close(): Promise<void>;
}

/** Messages to and from file-hash-worker.ts. */
export type ToHashWorker = { end: number; digest?: boolean };
export type FromHashWorker = { digest?: string; error?: string };

/**
 * Files at least this large are hashed on a worker thread: reading back and hashing took about a
 * sixth of the calling thread's time in a verified 200 MB download, work another core can do while
 * that thread receives, decodes and writes. Below it, a thread costs more than it saves.
 */
export const THREADED_HASH_MIN_BYTES = 32 * 1024 * 1024;

/** Bytes read back per step when hashing on the calling thread. */
const READ_BACK_BYTES = 1024 * 1024;

/** file-hash-worker beside this module, with this module's extension: .ts run from sources, .js once built. */
const WORKER_URL = new URL(`./file-hash-worker${import.meta.url.slice(import.meta.url.lastIndexOf("."))}`, import.meta.url);

/** A FileHasher for `size` bytes of the file open as `fh` at `path`: on a worker thread when it is large. */
export function fileHasher(fh: FileHandle, path: string, size: number): FileHasher {
  return size >= THREADED_HASH_MIN_BYTES ? threadedHasher(path) : inThreadHasher(fh);
}

/** Hashes through `fh` on the calling thread, one read at a time, through one reused buffer. */
function inThreadHasher(fh: FileHandle): FileHasher {
  const hash = createHash("sha256");
  const buf = Buffer.allocUnsafe(READ_BACK_BYTES);
  let hashed = 0;
  let chain: Promise<void> = Promise.resolve();
  const advance = (end: number) => {
    chain = chain.then(async () => {
      while (hashed < end) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(READ_BACK_BYTES, end - hashed), hashed);
        if (bytesRead <= 0) throw new IntegrityError("size", `${end} bytes written`, `${hashed} bytes read back`);
        hash.update(buf.subarray(0, bytesRead));
        hashed += bytesRead;
      }
    });
    chain.catch(() => undefined); // observed by digest
  };
  return {
    advance,
    async digest(size) {
      advance(size);
      await chain;
      return hash.digest("hex");
    },
    close: async () => undefined,
  };
}

/** Hashes on a worker thread that reads `path` itself (file-hash-worker.ts). */
function threadedHasher(path: string): FileHasher {
  const worker = new Worker(WORKER_URL, { workerData: { path }, resourceLimits: { maxYoungGenerationSizeMb: 4 } });
  worker.unref();
  const answer = new Promise<string>((resolve, reject) => {
    worker.once("message", (m: FromHashWorker) =>
      m.digest !== undefined ? resolve(m.digest) : reject(new IntegrityError("size", "the file as written", m.error ?? "no digest")),
    );
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`file hash worker exited (${code})`)));
  });
  answer.catch(() => undefined); // observed by digest
  return {
    advance: (end) => worker.postMessage({ end } satisfies ToHashWorker),
    digest(size) {
      worker.postMessage({ end: size, digest: true } satisfies ToHashWorker);
      return answer;
    },
    close: async () => void (await worker.terminate()),
  };
}
