import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { UploadSchema, UploadState, type Upload } from "../../../gen/vellum/v1/upload_pb.js";
import { ChunkEncoding, UploadService, type CommitSnapshotRequest, type UploadChunksRequest } from "../../../gen/vellum/v1/upload_service_pb.js";
import { invalidField } from "../domain/errors.js";
import { MAX_UPLOADED_CHUNK_BYTES, type UploadSession, type UploadedChunk } from "../domain/uploads/types.js";
import { MAX_CHUNK_REF_BYTES, MAX_COMMIT_CHUNKS, type UploadUseCases } from "../domain/uploads/service.js";
import { Validator } from "../domain/validate.js";
import { auditOf, callerOf } from "./context.js";
import { snapshotToPb, ts } from "./convert.js";
import { headerFromPb } from "./upload-header.js";

export function uploadToPb(s: UploadSession): Upload {
  return create(UploadSchema, {
    uploadId: s.id,
    storeId: s.storeId,
    state: UploadState[s.state],
    committedSize: BigInt(s.committedSize),
    segments: s.segments,
    snapshotId: s.snapshotId ?? "",
    createTime: ts(s.createTime),
    updateTime: ts(s.updateTime),
    expireTime: ts(s.expireTime),
  });
}

export function createUploadServiceImpl(uploads: UploadUseCases): ServiceImpl<typeof UploadService> {
  return {
    async startUpload(req, ctx) {
      const header = headerFromPb(req.header, { forbidSession: true });
      return { upload: uploadToPb(await uploads.start(header, callerOf(ctx).id)) };
    },
    async getUpload(req) {
      return { upload: uploadToPb(await uploads.get(req.storeId, req.uploadId)) };
    },
    async cancelUpload(req) {
      return { upload: uploadToPb(await uploads.cancel(req.storeId, req.uploadId)) };
    },
    async findMissingChunks(req) {
      const missing = await uploads.findMissing(req.storeId, req.digests, req.encrypted);
      return { missingDigests: missing.map((d) => d.bytes) };
    },
    async uploadChunks(reqs, ctx) {
      const it = reqs[Symbol.asyncIterator]();
      const first = await it.next();
      if (first.done) throw invalidField("store_id", "is required");
      const { storeId, encrypted } = first.value;
      const v = new Validator();
      v.storeId("store_id", storeId);
      v.throwIfAny();
      const r = await uploads.storeChunks(storeId, encrypted, chunksOf(first.value, it, storeId), ctx.signal);
      return { chunksReceived: BigInt(r.received), chunksStored: BigInt(r.stored), bytesStored: BigInt(r.bytes) };
    },
    async commitSnapshot(req, ctx) {
      const header = headerFromPb(req.header, { forbidSession: true });
      const snapshot = await uploads.commitChunks(header, chunkListOf(req), { actor: callerOf(ctx).id, audit: auditOf(ctx), signal: ctx.signal });
      return { snapshot: snapshotToPb(snapshot) };
    },
  };
}

/**
 * The chunk list of a commit, from `chunks` or from its packed form (`chunk_digests` and
 * `chunk_sizes`, checked here so that violations name those fields); never both.
 */
function chunkListOf(req: CommitSnapshotRequest): { digest: Uint8Array; size: bigint }[] {
  const digests = req.chunkDigests;
  if (digests.length === 0 && req.chunkSizes.length === 0) return req.chunks;
  if (req.chunks.length > 0) throw invalidField("chunk_digests", "must be empty when chunks is given");
  if (digests.length % 32 !== 0) throw invalidField("chunk_digests", "must be 32-byte digests back to back");
  const count = digests.length / 32;
  if (count > MAX_COMMIT_CHUNKS) throw invalidField("chunk_digests", `must have at most ${MAX_COMMIT_CHUNKS} digests`);
  if (req.chunkSizes.length !== count) throw invalidField("chunk_sizes", `must have one size per digest (${count}), got ${req.chunkSizes.length}`);
  return req.chunkSizes.map((size, i) => {
    if (size < 1 || size > MAX_CHUNK_REF_BYTES) throw invalidField(`chunk_sizes[${i}]`, "must be between 1 and 64 MiB");
    return { digest: digests.subarray(i * 32, i * 32 + 32), size: BigInt(size) };
  });
}

/**
 * One chunk as a message carries it (undefined for none: an empty `chunk` field), its encoding and
 * declared size checked; `at` prefixes the field names of violations ("" or "chunks[i].").
 */
function chunkOf(bytes: Uint8Array, encoding: ChunkEncoding, declared: bigint, at: string, field: string): UploadedChunk | undefined {
  const size = Number(declared);
  switch (encoding) {
    case ChunkEncoding.UNSPECIFIED:
    case ChunkEncoding.IDENTITY:
      if (size !== 0 && size !== bytes.length) throw invalidField(`${at}size`, `must be 0 or the length of ${field} unless encoding is ZSTD`);
      return bytes.length ? { bytes, field: `${at}${field}` } : undefined;
    case ChunkEncoding.ZSTD:
      if (!bytes.length) throw invalidField(`${at}${field}`, "must hold a zstd frame when encoding is ZSTD");
      if (!(size >= 1 && size <= MAX_UPLOADED_CHUNK_BYTES)) throw invalidField(`${at}size`, `must be 1..${MAX_UPLOADED_CHUNK_BYTES} when encoding is ZSTD`);
      return { bytes, zstdSize: size, field: `${at}${field}` };
    default:
      throw invalidField(`${at}encoding`, `unknown chunk encoding ${encoding}`);
  }
}

/** The chunks of one message in order: `chunk` (when not empty), then each of `chunks` (never empty). */
function* chunksIn(m: UploadChunksRequest): Generator<UploadedChunk> {
  const head = chunkOf(m.chunk, m.encoding, m.size, "", "chunk");
  if (head) yield head;
  for (let i = 0; i < m.chunks.length; i++) {
    const c = m.chunks[i];
    const at = `chunks[${i}].`;
    const more = chunkOf(c.data, c.encoding, c.size, at, "data");
    if (!more) throw invalidField(`${at}data`, "must not be empty");
    yield more;
  }
}

async function* chunksOf(first: UploadChunksRequest, it: AsyncIterator<UploadChunksRequest>, storeId: string): AsyncIterable<UploadedChunk> {
  yield* chunksIn(first);
  for (;;) {
    const n = await it.next();
    if (n.done) return;
    if (n.value.storeId && n.value.storeId !== storeId) throw invalidField("store_id", "must not change within a stream");
    yield* chunksIn(n.value);
  }
}
