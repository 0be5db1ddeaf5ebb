/**
 * Worker thread behind fileHasher (file-hasher.ts): hashes a file that is being written, in order,
 * as far as each message says its bytes are in place, through its own descriptor and one reused
 * buffer. Answers a message that asks for the digest once the file is hashed that far.
 */
import { createHash } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import type { FromHashWorker, ToHashWorker } from "./file-hasher.js";

const READ_BYTES = 1024 * 1024;
const port = parentPort!;
const fd = openSync((workerData as { path: string }).path, "r");
const hash = createHash("sha256");
const buf = Buffer.allocUnsafe(READ_BYTES);
let hashed = 0;

function hashTo(end: number): void {
  while (hashed < end) {
    const n = readSync(fd, buf, 0, Math.min(READ_BYTES, end - hashed), hashed);
    if (n <= 0) throw new RangeError(`${end} bytes written, ${hashed} read back`);
    hash.update(buf.subarray(0, n));
    hashed += n;
  }
}

port.on("message", (m: ToHashWorker) => {
  let reply: FromHashWorker | undefined;
  try {
    hashTo(m.end);
    if (m.digest) reply = { digest: hash.digest("hex") };
  } catch (e) {
    reply = { error: e instanceof Error ? e.message : String(e) };
  }
  if (reply) {
    if (reply.error !== undefined || reply.digest !== undefined) closeSync(fd);
    port.postMessage(reply);
    if (reply.error !== undefined) port.close();
  }
});
