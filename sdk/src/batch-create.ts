/**
 * batchCreateSnapshots: any number of small snapshots through BatchCreateSnapshots, split into
 * calls the server accepts, with each item's outcome as a snapshot or a typed error.
 */
import { create, toBinary, toJson, type MessageInitShape } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import type { Snapshot } from "../../gen/vellum/v1/snapshot_pb.js";
import { CreateSnapshotRequestSchema, type CreateSnapshotRequest } from "../../gen/vellum/v1/snapshot_service_pb.js";
import type { CallOptions, VellumClient } from "./client.js";
import { statusError, toVellumError, VellumError, type VellumErrorInit } from "./errors.js";

/** Items per BatchCreateSnapshots call (the server's limit). */
export const MAX_BATCH_ITEMS = 1000;
/** Payload bytes per call, as the server counts them: `data` bytes, or the compact JSON of `json`. */
export const MAX_BATCH_PAYLOAD_BYTES = 8 * 1024 * 1024;
/** Encoded request bytes per call, well under the server's default 16 MiB message limit. */
export const MAX_BATCH_REQUEST_BYTES = 12 * 1024 * 1024;

/** One snapshot to create: a CreateSnapshot request (store_id may be left empty; no idempotency_key). */
export type BatchItem = MessageInitShape<typeof CreateSnapshotRequestSchema>;

/** An item's outcome, at its position in the input: the snapshot, or why it was not created. */
export type BatchItemResult =
  | { index: number; snapshot: Snapshot; error?: undefined }
  /** `error.fieldViolations` name the item's fields ("resource_version"), without "requests[i].". */
  | { index: number; snapshot?: undefined; error: VellumError };

export interface BatchCreateOptions extends CallOptions {
  /**
   * All or nothing: one call, nothing created if any item is bad (the call throws, with violations
   * under "requests[i]."). The items must then fit one call (MAX_BATCH_* limits); otherwise a
   * RangeError is thrown before anything is sent. Default false.
   */
  atomic?: boolean;
  /** Called after each call with the number of items handled so far and the total. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * A call failed after earlier calls had created their items: `results` holds the outcomes of items
 * [0, failedAt); items from `failedAt` on were not attempted. The code is the failed call's.
 */
export class BatchCreateError extends VellumError {
  override readonly name = "BatchCreateError";
  constructor(
    readonly results: BatchItemResult[],
    readonly failedAt: number,
    cause: VellumError,
  ) {
    const init: VellumErrorInit = {
      fieldViolations: cause.fieldViolations,
      requestId: cause.requestId,
      retryDelayMs: cause.retryDelayMs,
      reason: cause.reason,
      metadata: cause.metadata,
      cause,
    };
    super(cause.code, `the batch call for items from ${failedAt} on failed (${results.length} handled before it): ${cause.rawMessage}`, init);
  }
}

interface Sized {
  index: number;
  msg: CreateSnapshotRequest;
  payload: number;
  encoded: number;
}

const utf8 = new TextEncoder();

function sizeOf(msg: CreateSnapshotRequest): number {
  if (msg.payload.case === "data") return msg.payload.value.length;
  if (msg.payload.case !== "json") return 0;
  try {
    return utf8.encode(JSON.stringify(toJson(ValueSchema, msg.payload.value))).length;
  } catch {
    return 0; // an unset Value: the server reports the item
  }
}

/** Consecutive runs of items that each fit one call; items that fit no call alone are returned apart. */
function plan(items: Sized[]): { calls: Sized[][]; oversized: Sized[] } {
  const calls: Sized[][] = [];
  const oversized: Sized[] = [];
  let run: Sized[] = [];
  let payload = 0;
  let encoded = 0;
  for (const it of items) {
    if (it.payload > MAX_BATCH_PAYLOAD_BYTES || it.encoded > MAX_BATCH_REQUEST_BYTES) {
      oversized.push(it);
      continue;
    }
    if (run.length === MAX_BATCH_ITEMS || payload + it.payload > MAX_BATCH_PAYLOAD_BYTES || encoded + it.encoded > MAX_BATCH_REQUEST_BYTES) {
      calls.push(run);
      run = [];
      payload = encoded = 0;
    }
    run.push(it);
    payload += it.payload;
    encoded += it.encoded;
  }
  if (run.length) calls.push(run);
  return { calls, oversized };
}

/**
 * Creates the items with as few BatchCreateSnapshots calls as the limits allow (1000 items, 8 MiB
 * of payloads, 12 MiB encoded per call), one call at a time, in order: items of one resource get
 * consecutive versions in input order. Returns one result per item, in input order; a per-item
 * failure (INVALID_ARGUMENT with field violations, ALREADY_EXISTS as ResourceVersionExistsError, an
 * item too large for any batch as RESOURCE_EXHAUSTED) is that item's `error`. A failed call throws
 * BatchCreateError carrying the results of the calls before it. Never retried.
 */
export async function batchCreateSnapshots(
  client: Pick<VellumClient, "snapshots">,
  storeId: string,
  items: readonly BatchItem[],
  options: BatchCreateOptions = {},
): Promise<BatchItemResult[]> {
  const sized = items.map((item, index): Sized => {
    const msg = create(CreateSnapshotRequestSchema, item);
    return { index, msg, payload: sizeOf(msg), encoded: toBinary(CreateSnapshotRequestSchema, msg).length + 8 };
  });
  const { calls, oversized } = plan(sized);
  if (options.atomic && (calls.length > 1 || oversized.length)) {
    throw new RangeError(`an atomic batch must fit one call (${MAX_BATCH_ITEMS} items, ${MAX_BATCH_PAYLOAD_BYTES} payload bytes); split it or drop atomic`);
  }
  const results: BatchItemResult[] = oversized.map((it) => ({
    index: it.index,
    error: new VellumError(Code.ResourceExhausted, `item ${it.index} is too large for a batch (${it.payload} payload bytes); create it with createSnapshot or uploadSnapshot`, {
      reason: "BATCH_TOO_LARGE",
    }),
  }));
  const call = { signal: options.signal, timeoutMs: options.timeoutMs, headers: options.headers };
  let done = oversized.length;
  for (const run of calls) {
    let res;
    try {
      res = await client.snapshots.batchCreateSnapshots({ storeId, atomic: options.atomic ?? false, requests: run.map((it) => it.msg) }, call);
    } catch (e) {
      const error = toVellumError(e);
      if (options.atomic) throw error;
      const before = results.filter((r) => r.index < run[0].index).sort((a, b) => a.index - b.index);
      throw new BatchCreateError(before, run[0].index, error);
    }
    run.forEach((it, i) => {
      const r = res.results[i];
      const error = statusError(r?.status, `requests[${i}].`);
      if (error) results.push({ index: it.index, error });
      else if (r?.snapshot) results.push({ index: it.index, snapshot: r.snapshot });
      else results.push({ index: it.index, error: new VellumError(Code.Internal, `BatchCreateSnapshots returned no result for item ${it.index}`) });
    });
    done += run.length;
    options.onProgress?.(done, items.length);
  }
  return results.sort((a, b) => a.index - b.index);
}
