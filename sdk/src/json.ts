/**
 * JSON payloads for CreateSnapshot, so callers need not build a google.protobuf.Value by hand
 * (labels are plain objects already), and the protobuf-es helpers callers need most.
 */
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { ValueSchema, type Value } from "@bufbuild/protobuf/wkt";

export { create, fromJson, toJson, toJsonString, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
export { timestampDate, timestampFromDate, ValueSchema } from "@bufbuild/protobuf/wkt";

/** A CreateSnapshot `payload` holding a JSON document: `{ ..., payload: jsonPayload(doc) }`. */
export function jsonPayload(doc: JsonValue): { case: "json"; value: Value } {
  return { case: "json", value: fromJson(ValueSchema, doc) };
}

