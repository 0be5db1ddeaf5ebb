import { toJson } from "@bufbuild/protobuf";
import { ValueSchema, type Value } from "@bufbuild/protobuf/wkt";
import type { CreateSnapshotRequest } from "../../../gen/vellum/v1/snapshot_service_pb.js";
import { validateSpec } from "../domain/snapshots/spec.js";
import type { SnapshotSpec, SnapshotType } from "../domain/snapshots/types.js";
import type { SnapshotType as PbSnapshotType } from "../../../gen/vellum/v1/snapshot_pb.js";
import type { Validator } from "../domain/validate.js";
import { metadataFromPb, snapshotTypeFromPb } from "./convert.js";

/**
 * A CreateSnapshotRequest as a spec plus its payload bytes, with every violation added to `v`
 * under `prefix` (e.g. "requests[3]."). A `json` payload is stored as compact JSON and makes the
 * type default to JSON; `data` declared as JSON must be UTF-8 JSON.
 */
export function createRequestFromPb(req: CreateSnapshotRequest, v: Validator, prefix = ""): { spec: SnapshotSpec; bytes: Uint8Array } {
  const { bytes, snapshotType } = pushPayloadFromPb(req.payload, req.snapshotType, v, prefix);
  const spec = validateSpec({ ...req, snapshotType, metadata: metadataFromPb(req.metadata) }, v, prefix);
  return { spec, bytes };
}

/**
 * A `json` or `data` payload (CreateSnapshot, RunPolicy) as bytes and its type (undefined when
 * neither given nor implied by a json payload), violations added to `v`.
 */
export function pushPayloadFromPb(
  payload: { case: "json"; value: Value } | { case: "data"; value: Uint8Array } | { case: undefined; value?: undefined },
  pbType: PbSnapshotType,
  v: Validator,
  prefix = "",
): { bytes: Uint8Array; snapshotType: SnapshotType | undefined } {
  let bytes: Uint8Array = new Uint8Array();
  let type = snapshotTypeFromPb(pbType);
  if (payload.case === "json") {
    if (type === undefined) type = "JSON";
    if (type !== "JSON") v.add(`${prefix}snapshot_type`, "must be SNAPSHOT_TYPE_JSON with a json payload");
    const json = jsonOf(payload.value);
    if (json === undefined) v.add(`${prefix}json`, "must be a JSON value (google.protobuf.Value with a kind set)");
    else bytes = Buffer.from(json);
  } else if (payload.case === "data") {
    bytes = payload.value;
    if (type === "JSON" && !isJson(bytes)) v.add(`${prefix}data`, "must be UTF-8 JSON for SNAPSHOT_TYPE_JSON");
  } else {
    v.add(`${prefix}payload`, "is required: set json or data");
  }
  return { bytes, snapshotType: type };
}

/** Compact JSON of a google.protobuf.Value, or undefined when the Value (or a nested one) is unset. */
function jsonOf(value: Value): string | undefined {
  try {
    return JSON.stringify(toJson(ValueSchema, value));
  } catch {
    return undefined;
  }
}

/** Shared: a non-streaming decode keeps no state between calls. */
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function isJson(bytes: Uint8Array): boolean {
  try {
    JSON.parse(strictUtf8.decode(bytes));
    return true;
  } catch {
    return false;
  }
}
