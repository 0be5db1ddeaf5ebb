import type { ResourceKey } from "../ports.js";
import type { Validator } from "../validate.js";
import { validateResourceKey } from "../versions/service.js";

/** A request naming one snapshot, or one resource (resource_type + resource_id). */
export interface SnapshotOrResource {
  storeId: string;
  /** "" when the target is a resource. */
  snapshotId: string;
  resourceType: string;
  resourceId: string;
}

/**
 * Checks that exactly one target is named, with valid ids; returns the resource key when the
 * target is a resource.
 */
export function checkTarget(v: Validator, t: SnapshotOrResource): ResourceKey | undefined {
  const byResource = t.resourceType !== "" || t.resourceId !== "";
  if (t.snapshotId !== "" && byResource) {
    v.storeId("store_id", t.storeId);
    v.add("snapshot_id", "must be empty when resource_type and resource_id are given (name one target)");
    return undefined;
  }
  if (t.snapshotId !== "" || !byResource) {
    v.storeId("store_id", t.storeId);
    if (t.snapshotId === "") v.add("snapshot_id", "is required, or resource_type and resource_id");
    else v.uuid("snapshot_id", t.snapshotId);
    return undefined;
  }
  return validateResourceKey({ storeId: t.storeId, resourceType: t.resourceType, resourceId: t.resourceId }, v);
}
