import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { Snapshot } from "../../../gen/vellum/v1/snapshot_pb.js";
import { bytesOf, type ByteSource } from "../byte-source.js";
import { uploadSnapshotIncremental } from "./incremental-upload.js";
import type { VellumClient } from "../client.js";
import {
  checkChunkSize,
  DEFAULT_UPLOAD_CHUNK_BYTES,
  uploadSnapshot as uploadStream,
  type UploadHeader,
  type UploadOptions,
} from "../upload.js";

/** Everything the browser entry accepts (Node Readables are async iterables), or a file path. */
export type NodeUploadSource = ByteSource | string;

export interface NodeUploadOptions extends UploadOptions {
  /**
   * File paths only: hash the file in a first pass and send its SHA-256 as expected_sha256 (unless
   * the header has one), so the server rejects the upload with DATA_LOSS if the file changes
   * between the passes or the bytes are corrupted on the way. Reads the file twice. Default false.
   */
  verify?: boolean;
  /**
   * Use the client-side-dedup path (uploadSnapshotIncremental): chunk locally, send only the chunks
   * the store lacks, commit the chunk list. Best for new versions of large, mostly unchanged files.
   * Needs `client.uploads`. Default false (one UploadSnapshot stream).
   */
  incremental?: boolean;
}

/**
 * uploadSnapshot (see the browser entry) that also takes a file path. For a path, the file's size
 * from stat is sent as expected_size unless the header has one (a file that grows or shrinks while
 * uploading then fails with INVALID_ARGUMENT), and with `verify` its SHA-256 as expected_sha256.
 * The file is read in chunkSize blocks, so chunks go out without copying.
 */
export async function uploadSnapshot(
  client: Pick<VellumClient, "snapshots"> & Partial<Pick<VellumClient, "uploads">>,
  header: UploadHeader,
  source: NodeUploadSource,
  options: NodeUploadOptions = {},
): Promise<Snapshot> {
  if (options.incremental) {
    if (!client.uploads) throw new TypeError("incremental upload needs client.uploads (createVellumClient provides it)");
    const src = typeof source === "string" ? source : bytesOf(source);
    const { signal, headers, onProgress } = options;
    return (await uploadSnapshotIncremental(client.uploads, header, src, { signal, headers, onProgress })).snapshot;
  }
  if (typeof source !== "string") return uploadStream(client, header, source, options);
  const chunkSize = checkChunkSize(options.chunkSize ?? DEFAULT_UPLOAD_CHUNK_BYTES);
  const st = await stat(source);
  if (!st.isFile()) throw new TypeError("upload source path is not a regular file");
  const withExpectations: UploadHeader = { ...header };
  if (!withExpectations.expectedSize) withExpectations.expectedSize = BigInt(st.size);
  if (options.verify && !withExpectations.expectedSha256) withExpectations.expectedSha256 = await sha256File(source);
  const file = createReadStream(source, { highWaterMark: chunkSize });
  try {
    return await uploadStream(client, withExpectations, file, options);
  } finally {
    file.destroy();
  }
}

/** Lowercase hex SHA-256 of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
