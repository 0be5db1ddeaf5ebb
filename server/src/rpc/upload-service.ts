import { create } from "@bufbuild/protobuf";
import type { ConnectRouter, ServiceImpl } from "@connectrpc/connect";
import { UploadSchema, UploadState, type Upload } from "../../../gen/vellum/v1/upload_pb.js";
import { ChunkEncoding, UploadService, type CommitSnapshotRequest, type UploadChunksRequest } from "../../../gen/vellum/v1/upload_service_pb.js";
import { invalidField } from "../domain/errors.js";
import { MAX_UPLOADED_CHUNK_BYTES, type UploadSession, type UploadedChunk } from "../domain/uploads/types.js";
import { type ChunkListFields, MAX_COMMIT_CHUNKS, MAX_FIND_DIGESTS, type UploadUseCases } from "../domain/uploads/service.js";
import { Validator } from "../domain/validate.js";
import { auditOf, callerOf } from "./context.js";
import { snapshotToPb, ts } from "./convert.js";
import { headerFromPb } from "./upload-header.js";
import { requestParsing } from "./request-parsing.js";

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

/**
 * Request bytes a FindMissingChunks call may take: MAX_FIND_DIGESTS digests of 34 bytes on the wire,
 * with room to spare. The server's general limit (16 MiB) let one call of empty digests, 2 bytes
 * each, make the parser build over 8 million objects (1.1 GB) before the handler could refuse it.
 */
export const FIND_MISSING_MAX_BYTES = Math.max(1024 * 1024, MAX_FIND_DIGESTS * 34 * 2);

/**
 * Messages a CommitSnapshot request of at most `maxMessageBytes` may hold: as many ChunkRefs as
 * fit when each has its 32-byte digest and a size (38 bytes on the wire at least), at most
 * MAX_COMMIT_CHUNKS, plus the header and what it nests. A 16 MiB request of empty ChunkRefs
 * (2 bytes each) made the parser build 8.4 million objects (886 MB) before the handler could
 * refuse it; at 16 MiB the limit stops it at 441,606.
 */
export const commitMessageLimit = (maxMessageBytes: number) => Math.min(MAX_COMMIT_CHUNKS, Math.ceil(maxMessageBytes / 38)) + 100;

/**
 * Routes UploadService: FindMissingChunks with its own request size limit (FIND_MISSING_MAX_BYTES),
 * CommitSnapshot with a message limit (commitMessageLimit).
 */
export function routeUploadService(router: ConnectRouter, impl: ServiceImpl<typeof UploadService>, maxMessageBytes: number): void {
  const m = UploadService.method;
  router.rpc(m.startUpload, impl.startUpload);
  router.rpc(m.getUpload, impl.getUpload);
  router.rpc(m.cancelUpload, impl.cancelUpload);
  router.rpc(m.findMissingChunks, impl.findMissingChunks, { readMaxBytes: FIND_MISSING_MAX_BYTES });
  router.rpc(m.uploadChunks, impl.uploadChunks);
  router.rpc(m.commitSnapshot, impl.commitSnapshot, requestParsing(maxMessageBytes, commitMessageLimit(maxMessageBytes)));
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
      const { refs, fields } = chunkListOf(req);
      const snapshot = await uploads.commitChunks(header, refs, { actor: callerOf(ctx).id, audit: auditOf(ctx), signal: ctx.signal, fields });
      return { snapshot: snapshotToPb(snapshot) };
    },
  };
}

/** The fields of the packed chunk list. */
const PACKED_CHUNKS: ChunkListFields = { list: "chunk_digests", size: (i) => `chunk_sizes[${i}]` };

/**
 * The chunk list of a commit, from `chunks` or from its packed form (`chunk_digests` and
 * `chunk_sizes`), never both, with the fields its violations name; commitChunks checks the entries.
 */
function chunkListOf(req: CommitSnapshotRequest): { refs: { digest: Uint8Array; size: number }[]; fields?: ChunkListFields } {
  const digests = req.chunkDigests;
  if (digests.length === 0 && req.chunkSizes.length === 0) return { refs: req.chunks.map((r) => ({ digest: r.digest, size: Number(r.size) })) };
  if (req.chunks.length > 0) throw invalidField("chunk_digests", "must be empty when chunks is given");
  if (digests.length % 32 !== 0) throw invalidField("chunk_digests", "must be 32-byte digests back to back");
  const count = digests.length / 32;
  if (req.chunkSizes.length !== count) throw invalidField("chunk_sizes", `must have one size per digest (${count}), got ${req.chunkSizes.length}`);
  return { refs: req.chunkSizes.map((size, i) => ({ digest: digests.subarray(i * 32, i * 32 + 32), size })), fields: PACKED_CHUNKS };
}

/** The chunk in a message's `chunk` field (undefined for none), its encoding and declared size checked. */
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

/** The chunks of one message in order: `chunk` (when not empty), then each of `more_data`. */
function* chunksIn(m: UploadChunksRequest): Generator<UploadedChunk> {
  const head = chunkOf(m);
  if (head) yield head;
  const { moreData: data, moreLengths: lengths, moreSizes: sizes } = m;
  if (lengths.length === 0 && sizes.length === 0 && data.length === 0) return;
  if (sizes.length !== lengths.length) throw invalidField("more_sizes", `must have one entry per entry of more_lengths (${lengths.length}), got ${sizes.length}`);
  let total = 0;
  for (let i = 0; i < lengths.length; i++) {
    if (lengths[i] < 1) throw invalidField(`more_lengths[${i}]`, "must be at least 1");
    total += lengths[i];
  }
  if (total !== data.length) throw invalidField("more_data", `must be the ${total} bytes that more_lengths add up to, got ${data.length}`);
  for (let i = 0, at = 0; i < lengths.length; at += lengths[i], i++) {
    const bytes = data.subarray(at, at + lengths[i]);
    const field = `more_data[${i}]`;
    if (sizes[i] === 0) {
      yield { bytes, field };
    } else {
      if (sizes[i] > MAX_UPLOADED_CHUNK_BYTES) throw invalidField(`more_sizes[${i}]`, `must be 0 or 1..${MAX_UPLOADED_CHUNK_BYTES}`);
      yield { bytes, zstdSize: sizes[i], field };
    }
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
