import { create } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import {
  DownloadSnapshotResponseSchema,
  SnapshotService,
  type UploadSnapshotRequest,
} from "../../../gen/vellum/v1/snapshot_service_pb.js";
import { digestOf } from "../domain/digest.js";
import { invalidField } from "../domain/errors.js";
import type { JobUseCases } from "../domain/jobs/service.js";
import type { BatchCreate } from "../domain/snapshots/batch-create.js";
import type { SnapshotUseCases } from "../domain/snapshots/service.js";
import type { SnapshotFilter } from "../domain/snapshots/types.js";
import { Validator } from "../domain/validate.js";
import type { UploadUseCases } from "../domain/uploads/service.js";
import type { LifecycleUseCases } from "../domain/retention/lifecycle.js";
import type { UsageUseCases } from "../domain/usage/usage-use-cases.js";
import { downloadPayloads } from "./download-messages.js";
import { auditOf, callerOf } from "./context.js";
import { createBatchCreateHandler } from "./batch-create.js";
import { createRequestFromPb } from "./create-request.js";
import { headerFromPb } from "./upload-header.js";
import { dateOf, jobToPb, snapshotToPb, snapshotTypeFromPb } from "./convert.js";
import { summaryDimensionFromPb, summaryGroupToPb } from "./retention-convert.js";

/**
 * Largest chunk in one DownloadSnapshot message. Encoding a message allocates two buffers about its
 * size (protobuf-es copies the bytes out of its writer, which it keeps between messages, and
 * connect copies them into the gRPC envelope). Up to this size, with the 4 bytes of field tag and
 * length, both stay below the 256 KiB mmap threshold that `npm start` sets, so they reuse heap
 * memory; at 256 KiB each was a fresh mapping whose pages fault in (on this VM, 2 to 3 times the
 * CPU per byte encoded).
 */
export const DOWNLOAD_CHUNK_BYTES = 128 * 1024 - 64;
/** Download pieces at least this large are sent without copying (smaller ones are packed). */
const DOWNLOAD_MIN_ZERO_COPY_BYTES = 64 * 1024;
/**
 * Message sizes of a download: plaintext as above; with accept_frames, frames stay below
 * DOWNLOAD_CHUNK_BYTES for the same reason (with their lengths, sizes and digests), and decode to
 * at most 4 MiB (the proto's bound), what a client sets aside to decode one message into.
 */
const DOWNLOAD_MESSAGE_SIZES = {
  chunkBytes: DOWNLOAD_CHUNK_BYTES,
  minZeroCopyBytes: DOWNLOAD_MIN_ZERO_COPY_BYTES,
  frameBytes: DOWNLOAD_CHUNK_BYTES - 4096,
  framePlainBytes: 4 * 1024 * 1024,
};

export function createSnapshotServiceImpl(deps: {
  snapshots: SnapshotUseCases;
  jobs: JobUseCases;
  uploads: UploadUseCases;
  lifecycle: LifecycleUseCases;
  usage: UsageUseCases;
  batchCreate: BatchCreate;
}): ServiceImpl<typeof SnapshotService> {
  const { snapshots, jobs, uploads, lifecycle, usage } = deps;
  return {
    async createSnapshot(req, ctx) {
      const v = new Validator();
      const { spec, bytes } = createRequestFromPb(req, v);
      v.throwIfAny();
      const snapshot = await snapshots.create(spec, bytes, {
        actor: callerOf(ctx).id,
        method: "CreateSnapshot",
        fingerprintParts: () => ({ sha256: digestOf(bytes).toHex() }),
        signal: ctx.signal,
        audit: auditOf(ctx),
      });
      return { snapshot: snapshotToPb(snapshot) };
    },

    async uploadSnapshot(reqs, ctx) {
      const it = reqs[Symbol.asyncIterator]();
      const first = await it.next();
      if (first.done || first.value.msg.case !== "header") throw invalidField("header", "the first message must carry the header");
      const h = first.value.msg.value;
      if (h.uploadId) {
        if (h.writeOffset < 0n) throw invalidField("header.write_offset", "must not be negative");
        const snapshot = await uploads.append(h.storeId, h.uploadId, Number(h.writeOffset), chunksOf(it), {
          actor: callerOf(ctx).id,
          audit: auditOf(ctx),
          signal: ctx.signal,
        });
        return { snapshot: snapshotToPb(snapshot) };
      }
      const { spec, expected } = headerFromPb(h);
      const snapshot = await snapshots.create(spec, chunksOf(it), {
        actor: callerOf(ctx).id,
        method: "UploadSnapshot",
        expected,
        fingerprintParts: expected,
        signal: ctx.signal,
        audit: auditOf(ctx),
      });
      return { snapshot: snapshotToPb(snapshot) };
    },

    async *downloadSnapshot(req, ctx) {
      const opened = await snapshots.openRange(req.storeId, req.snapshotId, Number(req.offset), Number(req.length));
      let first = true;
      // Plaintext goes out as zero-copy slices of up to DOWNLOAD_CHUNK_BYTES (downloadPayloads).
      const pieces = req.acceptFrames && opened.frames ? opened.frames(ctx.signal) : opened.stream(ctx.signal);
      for await (const payload of downloadPayloads(pieces, DOWNLOAD_MESSAGE_SIZES)) {
        yield create(DownloadSnapshotResponseSchema, { snapshot: first ? snapshotToPb(opened.snapshot) : undefined, ...payload });
        first = false;
      }
      if (first) yield create(DownloadSnapshotResponseSchema, { snapshot: snapshotToPb(opened.snapshot) });
    },

    async getSnapshot(req) {
      return { snapshot: snapshotToPb(await snapshots.get(req.storeId, req.snapshotId)) };
    },

    async listSnapshots(req) {
      const v = new Validator();
      v.storeId("store_id", req.storeId);
      if (req.minSize < 0n) v.add("min_size", "must not be negative");
      v.throwIfAny();
      const filter: SnapshotFilter = {
        storeId: req.storeId,
        resourceType: req.resourceType || undefined,
        resourceId: req.resourceId || undefined,
        tag: req.tag || undefined,
        createdBy: req.createdBy || undefined,
        since: dateOf(req.since, "since"),
        until: dateOf(req.until, "until"),
        snapshotType: snapshotTypeFromPb(req.snapshotType),
        minSize: req.minSize > 0n ? Number(req.minSize) : undefined,
        jobId: req.jobId || undefined,
        labelsMatch: req.labelsMatch && Object.keys(req.labelsMatch).length ? req.labelsMatch : undefined,
        showDeleted: req.showDeleted,
      };
      const page = await snapshots.list(filter, req.pageSize, req.pageToken);
      return { snapshots: page.snapshots.map(snapshotToPb), nextPageToken: page.nextPageToken, totalSize: page.totalSize, totalSizeEstimated: page.totalSizeEstimated };
    },

    async deleteSnapshot(req, ctx) {
      const s = await snapshots.delete(req.storeId, req.snapshotId, req.force, req.etag, auditOf(ctx));
      return { snapshot: snapshotToPb(s) };
    },

    async undeleteSnapshot(req, ctx) {
      return { snapshot: snapshotToPb(await lifecycle.undelete(req.storeId, req.snapshotId, req.etag, auditOf(ctx))) };
    },

    async summarizeSnapshots(req) {
      const s = await usage.summarize({ storeId: req.storeId, since: dateOf(req.since, "since"), until: dateOf(req.until, "until"), by: summaryDimensionFromPb(req.by) });
      return { groups: s.groups.map(summaryGroupToPb), total: summaryGroupToPb(s.total), truncated: s.truncated };
    },

    async verifySnapshot(req, ctx: HandlerContext) {
      const s = await snapshots.get(req.storeId, req.snapshotId);
      const job = await jobs.enqueue(s.storeId, "VERIFY_SNAPSHOT", {
        snapshotId: s.id,
        priority: req.priority,
        actor: callerOf(ctx).id,
        audit: auditOf(ctx),
      });
      return { job: jobToPb(job) };
    },
    batchCreateSnapshots: createBatchCreateHandler(deps.batchCreate),
    async checkStore(req, ctx) {
      const v = new Validator();
      v.storeId("store_id", req.storeId);
      v.throwIfAny();
      const job = await jobs.enqueue(req.storeId, "CHECK_STORE", { priority: req.priority, actor: callerOf(ctx).id, audit: auditOf(ctx) });
      return { job: jobToPb(job) };
    },
  };
}

async function* chunksOf(it: AsyncIterator<UploadSnapshotRequest>): AsyncIterable<Uint8Array> {
  for (;;) {
    const n = await it.next();
    if (n.done) return;
    if (n.value.msg.case !== "chunk") throw invalidField("header", "only the first message may carry the header");
    if (n.value.msg.value.length) yield n.value.msg.value;
  }
}
