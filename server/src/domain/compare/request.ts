import { resolveCompareOptions } from "../diff/compare-options.js";
import { Validator } from "../validate.js";
import { COMPARE_FORMATS, type CompareFormat, type CompareRequest, type CompareRequestOptions } from "./types.js";

export const MAX_IGNORE_PATHS = 100;
export const MAX_IGNORE_PATH_CHARS = 1024;
export const MAX_MATCH_KEYS = 10;

/** Unvalidated input from the transport; `format` is undefined when the client left it unset. */
export interface CompareRequestInput {
  storeId: string;
  leftSnapshotId: string;
  rightSnapshotId: string;
  format: CompareFormat | undefined;
  options: CompareRequestOptions;
}

/**
 * Validates a comparison request, reporting every bad field in one InvalidArgument: store id,
 * both snapshot ids (UUIDs), the format, and the options (counts and lengths here, then the
 * engine's own checks: context range, pattern syntax, key lengths). Ids come back lowercased.
 */
export function validateCompareRequest(input: CompareRequestInput): CompareRequest {
  const v = new Validator();
  v.storeId("store_id", input.storeId);
  v.uuid("left_snapshot_id", input.leftSnapshotId);
  v.uuid("right_snapshot_id", input.rightSnapshotId);
  if (input.format === undefined || !COMPARE_FORMATS.includes(input.format)) v.add("format", "is required: JSON, UNIFIED, WORD, HTML or CHUNKS");
  const o = input.options;
  if (o.ignorePaths.length > MAX_IGNORE_PATHS) v.add("options.ignore_paths", `must have at most ${MAX_IGNORE_PATHS} entries`);
  o.ignorePaths.forEach((p, i) => v.maxLength(`options.ignore_paths[${i}]`, p, MAX_IGNORE_PATH_CHARS));
  if (o.arrayMatchKey.length > MAX_MATCH_KEYS) v.add("options.array_match_key", `must have at most ${MAX_MATCH_KEYS} entries`);
  v.throwIfAny();
  const options: CompareRequestOptions = {
    ...(o.context !== undefined ? { context: o.context } : {}),
    ignorePaths: [...o.ignorePaths],
    arrayMatchKey: [...o.arrayMatchKey],
  };
  resolveCompareOptions("json", engineOptions(options));
  return {
    storeId: input.storeId,
    leftSnapshotId: input.leftSnapshotId.toLowerCase(),
    rightSnapshotId: input.rightSnapshotId.toLowerCase(),
    format: input.format!,
    options,
  };
}

/** The engine's view of the request options. */
export function engineOptions(o: CompareRequestOptions) {
  return {
    ...(o.context !== undefined ? { context: o.context } : {}),
    ignorePaths: o.ignorePaths,
    arrayMatchKey: o.arrayMatchKey,
  };
}

/**
 * Reads COMPARE_SNAPSHOTS job params back into a request, validating them again (they come from
 * the database, written by `validateCompareRequest`).
 */
export function compareRequestFromParams(storeId: string, params: Record<string, unknown>): CompareRequest {
  const o = (params.options ?? {}) as Record<string, unknown>;
  const strings = (x: unknown) => (Array.isArray(x) ? x.filter((s): s is string => typeof s === "string") : []);
  return validateCompareRequest({
    storeId,
    leftSnapshotId: String(params.leftSnapshotId ?? ""),
    rightSnapshotId: String(params.rightSnapshotId ?? ""),
    format: params.format as CompareFormat | undefined,
    options: {
      ...(typeof o.context === "number" ? { context: o.context } : {}),
      ignorePaths: strings(o.ignorePaths),
      arrayMatchKey: strings(o.arrayMatchKey),
    },
  });
}

/** COMPARE_SNAPSHOTS job params: the request, plus who asked (the output snapshot is audited as theirs). */
export interface CompareJobParams extends CompareRequest {
  auditActor: string;
  auditRequestId: string;
}

/** Reads COMPARE_SNAPSHOTS job params, validating them (on enqueue, and again on claim). */
export function compareJobParams(params: Record<string, unknown>): CompareJobParams {
  const str = (x: unknown) => (typeof x === "string" ? x : "");
  return { ...compareRequestFromParams(str(params.storeId), params), auditActor: str(params.auditActor), auditRequestId: str(params.auditRequestId) };
}
