import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import { StatusSchema } from "../../../gen/google/rpc/status_pb.js";
import {
  BatchCreateSnapshotsResponseSchema,
  BatchCreateSnapshotsResultSchema,
  type BatchCreateSnapshotsRequest,
  type BatchCreateSnapshotsResponse,
} from "../../../gen/vellum/v1/snapshot_service_pb.js";
import type { BatchCreate, BatchItem } from "../domain/snapshots/batch-create.js";
import { Validator } from "../domain/validate.js";
import { auditOf, callerOf } from "./context.js";
import { snapshotToPb } from "./convert.js";
import { createRequestFromPb } from "./create-request.js";
import { toStatus } from "./errors.js";

/** SnapshotService.BatchCreateSnapshots: decodes the items, runs the batch, reports each item. */
export function createBatchCreateHandler(batchCreate: BatchCreate) {
  return async (req: BatchCreateSnapshotsRequest, ctx: HandlerContext): Promise<BatchCreateSnapshotsResponse> => {
    const items: BatchItem[] = req.requests.map((item, i) => {
      const v = new Validator();
      // An item may leave store_id empty: it is the batch's.
      const { spec, bytes } = createRequestFromPb({ ...item, storeId: item.storeId || req.storeId }, v, `requests[${i}].`);
      return { spec, bytes, violations: v.violations };
    });
    const outcomes = await batchCreate(req.storeId, items, {
      atomic: req.atomic,
      actor: callerOf(ctx).id,
      audit: auditOf(ctx),
      signal: ctx.signal,
    });
    return create(BatchCreateSnapshotsResponseSchema, {
      results: outcomes.map((o) =>
        "snapshot" in o
          ? create(BatchCreateSnapshotsResultSchema, { snapshot: snapshotToPb(o.snapshot), status: create(StatusSchema, { code: 0 }) })
          : create(BatchCreateSnapshotsResultSchema, { status: toStatus(o.error) }),
      ),
    });
  };
}
