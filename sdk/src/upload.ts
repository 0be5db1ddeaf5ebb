import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import type { Snapshot } from "../../gen/vellum/v1/snapshot_pb.js";
import type { UploadSnapshotHeaderSchema, UploadSnapshotRequestSchema } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { bytesOf, rechunk, type ByteSource } from "./byte-source.js";
import type { CallOptions, VellumClient } from "./client.js";
import { toVellumError, UnsupportedTransportError, VellumError } from "./errors.js";

/** Default payload per `chunk` message: 1 MiB. */
export const DEFAULT_UPLOAD_CHUNK_BYTES = 1024 * 1024;
/** Largest allowed `chunkSize`: 4 MiB (well under the server's 16 MiB message limit). */
export const MAX_UPLOAD_CHUNK_BYTES = 4 * 1024 * 1024;

export type UploadHeader = MessageInitShape<typeof UploadSnapshotHeaderSchema>;

export interface UploadOptions extends CallOptions {
  /** Bytes per chunk message, 1..MAX_UPLOAD_CHUNK_BYTES; default DEFAULT_UPLOAD_CHUNK_BYTES. */
  chunkSize?: number;
  /** Called with the running total of content bytes handed to the transport. */
  onProgress?: (bytesSent: number) => void;
}

/**
 * Uploads a snapshot through the client-streaming UploadSnapshot RPC: the `header` message, then
 * the source re-sliced into `chunkSize` messages. The source is read lazily as the transport pulls
 * messages, so memory stays bounded by a few chunks whatever the size. `expected_sha256` and
 * `expected_size` are sent only if the header carries them (the Node entry's file-path upload can
 * fill them in); the server then rejects mismatching content and nothing becomes visible.
 *
 * Needs a transport that can stream request bodies: connect-node's gRPC, Connect or gRPC-Web
 * transports. Browser (fetch) transports cannot; this throws UnsupportedTransportError before the
 * source is read. In a browser, create snapshots with `client.snapshots.createSnapshot({ data })`.
 *
 * Never retried (the source cannot be replayed). Errors of the source itself (e.g. a failed file
 * read) are re-thrown unchanged; everything else is a VellumError.
 *
 * @returns the new snapshot, ACTIVE.
 */
export async function uploadSnapshot(
  client: Pick<VellumClient, "snapshots">,
  header: UploadHeader,
  source: ByteSource,
  options: UploadOptions = {},
): Promise<Snapshot> {
  const chunkSize = checkChunkSize(options.chunkSize ?? DEFAULT_UPLOAD_CHUNK_BYTES);
  const input = bytesOf(source);
  let pulled = 0;
  let sourceError: { error: unknown } | undefined;
  async function* requests(): AsyncGenerator<MessageInitShape<typeof UploadSnapshotRequestSchema>> {
    pulled++;
    yield { msg: { case: "header", value: header } };
    let sent = 0;
    const chunks = rechunk(input, chunkSize);
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await chunks.next();
      } catch (error) {
        sourceError = { error };
        throw error;
      }
      if (next.done) return;
      sent += next.value.length;
      options.onProgress?.(sent);
      yield { msg: { case: "chunk", value: next.value } };
    }
  }
  try {
    const res = await client.snapshots.uploadSnapshot(requests(), {
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      headers: options.headers,
    });
    if (!res.snapshot) throw new VellumError(Code.Internal, "UploadSnapshot returned no snapshot");
    return res.snapshot;
  } catch (e) {
    if (sourceError) throw sourceError.error;
    const error = toVellumError(e);
    if (pulled === 0 && error.code === Code.Unknown) {
      throw new UnsupportedTransportError(
        `UploadSnapshot needs a transport that streams request bodies (connect-node); this one failed before sending anything (${error.rawMessage}). In browsers use createSnapshot with data.`,
        error,
      );
    }
    throw error;
  }
}

/** Returns `n` if it is a valid chunk size; RangeError otherwise. */
export function checkChunkSize(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > MAX_UPLOAD_CHUNK_BYTES) {
    throw new RangeError(`chunkSize must be an integer in [1, ${MAX_UPLOAD_CHUNK_BYTES}]`);
  }
  return n;
}
