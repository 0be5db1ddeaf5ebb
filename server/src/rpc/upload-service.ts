import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { UploadSchema, UploadState, type Upload } from "../../../gen/vellum/v1/upload_pb.js";
import { ChunkEncoding, UploadService, type UploadChunksRequest } from "../../../gen/vellum/v1/upload_service_pb.js";
import { invalidField } from "../domain/errors.js";
import { MAX_UPLOADED_CHUNK_BYTES, type UploadSession, type UploadedChunk } from "../domain/uploads/types.js";
import type { UploadUseCases } from "../domain/uploads/service.js";
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
      const snapshot = await uploads.commitChunks(header, req.chunks, { actor: callerOf(ctx).id, audit: auditOf(ctx), signal: ctx.signal });
      return { snapshot: snapshotToPb(snapshot) };
    },
  };
}

/** The chunk a message carries (undefined for none), its encoding and declared size checked. */
function chunkOf(m: UploadChunksRequest): UploadedChunk | undefined {
  const size = Number(m.size);
  switch (m.encoding) {
    case ChunkEncoding.UNSPECIFIED:
    case ChunkEncoding.IDENTITY:
      if (size !== 0 && size !== m.chunk.length) throw invalidField("size", "must be 0 or the length of chunk unless encoding is ZSTD");
      return m.chunk.length ? { bytes: m.chunk } : undefined;
    case ChunkEncoding.ZSTD:
      if (!m.chunk.length) throw invalidField("chunk", "must hold a zstd frame when encoding is ZSTD");
      if (!(size >= 1 && size <= MAX_UPLOADED_CHUNK_BYTES)) throw invalidField("size", `must be 1..${MAX_UPLOADED_CHUNK_BYTES} when encoding is ZSTD`);
      return { bytes: m.chunk, zstdSize: size };
    default:
      throw invalidField("encoding", `unknown chunk encoding ${m.encoding}`);
  }
}

async function* chunksOf(first: UploadChunksRequest, it: AsyncIterator<UploadChunksRequest>, storeId: string): AsyncIterable<UploadedChunk> {
  const head = chunkOf(first);
  if (head) yield head;
  for (;;) {
    const n = await it.next();
    if (n.done) return;
    if (n.value.storeId && n.value.storeId !== storeId) throw invalidField("store_id", "must not change within a stream");
    const c = chunkOf(n.value);
    if (c) yield c;
  }
}
