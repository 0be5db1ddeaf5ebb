import { createHash, randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Code } from "@connectrpc/connect";
import type { Snapshot } from "../../../gen/vellum/v1/snapshot_pb.js";
import type { VellumClient } from "../client.js";
import { downloadSnapshot, isWholeDownload, type DownloadOptions, type DownloadRequest } from "../download.js";
import { IntegrityError, VellumError } from "../errors.js";

export interface DownloadToOptions extends DownloadOptions {
  /** Check the SHA-256 of a whole download against snapshot.sha256 (ranges are size-checked only). Default true. */
  verify?: boolean;
  /** End the writable when the download completes, as `pipe` does. Default true. */
  end?: boolean;
}

/**
 * Streams a snapshot (or range) into a Node writable, respecting its backpressure: the next chunk
 * is requested from the server only as the writable drains. The SHA-256 of a whole download is
 * computed while streaming and compared with the snapshot's; on mismatch (or a short stream) the
 * returned promise rejects with IntegrityError after all bytes were written, and the writable is
 * destroyed. Resolves with the snapshot's metadata.
 */
export async function downloadSnapshotTo(
  client: Pick<VellumClient, "snapshots">,
  req: DownloadRequest,
  writable: NodeJS.WritableStream,
  options: DownloadToOptions = {},
): Promise<Snapshot> {
  const hash = (options.verify ?? true) && isWholeDownload(req) ? createHash("sha256") : undefined;
  let snapshot: Snapshot | undefined;
  const onSnapshot = (s: Snapshot) => {
    snapshot = s;
    options.onSnapshot?.(s);
  };
  async function* verified(): AsyncGenerator<Uint8Array> {
    for await (const chunk of downloadSnapshot(client, req, { ...options, onSnapshot })) {
      hash?.update(chunk);
      yield chunk;
    }
    if (hash && snapshot) {
      const actual = hash.digest("hex");
      if (actual !== snapshot.sha256) throw new IntegrityError("sha256", snapshot.sha256, actual);
    }
  }
  await pipeline(verified, writable, { end: options.end ?? true });
  if (!snapshot) throw new VellumError(Code.Internal, "DownloadSnapshot ended without snapshot metadata");
  return snapshot;
}

/**
 * Downloads into `path` atomically: writes a temp file next to it (same directory, so the rename
 * cannot cross file systems), flushes it to disk, checks it as downloadSnapshotTo does, and only
 * then renames it over `path`. On any failure the temp file is removed and `path` is untouched.
 */
export async function downloadSnapshotToFile(
  client: Pick<VellumClient, "snapshots">,
  req: DownloadRequest,
  path: string,
  options: Omit<DownloadToOptions, "end"> = {},
): Promise<Snapshot> {
  const temp = join(dirname(path), `.${basename(path)}.${randomUUID()}.part`);
  try {
    const out = createWriteStream(temp, { flags: "wx", flush: true });
    const snapshot = await downloadSnapshotTo(client, req, out, { ...options, end: true });
    await rename(temp, path);
    return snapshot;
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
}
