import type { UploadSnapshotHeader } from "../../../gen/vellum/v1/snapshot_service_pb.js";
import { isDigestHex } from "../domain/digest.js";
import { validateSpec } from "../domain/snapshots/spec.js";
import type { UploadHeader } from "../domain/uploads/types.js";
import { Validator } from "../domain/validate.js";
import { metadataFromPb, snapshotTypeFromPb } from "./convert.js";

/**
 * Validates an UploadSnapshotHeader into a spec plus expectations, collecting violations under
 * `prefix` ("header."). `session` forbids upload_id/write_offset (for StartUpload/CommitSnapshot).
 */
export function headerFromPb(h: UploadSnapshotHeader | undefined, opts: { prefix?: string; forbidSession?: boolean } = {}): UploadHeader {
  const prefix = opts.prefix ?? "header.";
  const v = new Validator();
  if (!h) {
    v.add(prefix.replace(/\.$/, ""), "is required");
    v.throwIfAny();
  }
  const spec = validateSpec({ ...h!, snapshotType: snapshotTypeFromPb(h!.snapshotType), metadata: metadataFromPb(h!.metadata) }, v, prefix);
  if (h!.expectedSha256 && !isDigestHex(h!.expectedSha256)) v.add(`${prefix}expected_sha256`, "must be 64 lowercase hex characters");
  if (h!.expectedSize < 0n) v.add(`${prefix}expected_size`, "must not be negative");
  if (opts.forbidSession && h!.uploadId) v.add(`${prefix}upload_id`, "must be empty here");
  if (opts.forbidSession && h!.writeOffset) v.add(`${prefix}write_offset`, "must be empty here");
  v.throwIfAny();
  return {
    spec,
    expected: { sha256: h!.expectedSha256 || undefined, size: h!.expectedSize > 0n ? Number(h!.expectedSize) : undefined },
  };
}
