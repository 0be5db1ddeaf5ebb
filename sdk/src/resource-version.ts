/** Seed 001's producer versions: at most one snapshot per (resource, resource_version). */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import type { Snapshot } from "../../gen/vellum/v1/snapshot_pb.js";
import type { CreateSnapshotRequestSchema } from "../../gen/vellum/v1/snapshot_service_pb.js";
import { hasSnapshots } from "./catalog.js";
import type { CallOptions, VellumClient } from "./client.js";
import { ResourceVersionExistsError, VellumError } from "./errors.js";

/**
 * Creates the snapshot of `req.resourceVersion` of a resource, or returns the live one that already
 * exists: `{ snapshot, created }`. Safe to repeat for a replayed change event. When the version is
 * held by a soft-deleted snapshot, the ResourceVersionExistsError is thrown (undelete it, or purge
 * it to free the version). `resourceVersion` and `resourceId` are required.
 */
export async function createSnapshotOnce(
  client: Pick<VellumClient, "snapshots" | "catalog">,
  req: MessageInitShape<typeof CreateSnapshotRequestSchema>,
  options: CallOptions = {},
): Promise<{ snapshot: Snapshot; created: boolean }> {
  if (!req.resourceVersion || !req.resourceId) throw new TypeError("createSnapshotOnce needs resourceId and resourceVersion");
  try {
    const { snapshot } = await client.snapshots.createSnapshot(req, options);
    if (!snapshot) throw new VellumError(Code.Internal, "CreateSnapshot returned no snapshot");
    return { snapshot, created: true };
  } catch (e) {
    if (!(e instanceof ResourceVersionExistsError)) throw e;
    const key = { storeId: req.storeId, resourceType: req.resourceType, resourceId: req.resourceId };
    const id = await hasSnapshots(client, { ...key, resourceVersion: req.resourceVersion }, options);
    if (!id) throw e;
    const { snapshot } = await client.snapshots.getSnapshot({ storeId: req.storeId, snapshotId: id }, options);
    if (!snapshot) throw e;
    return { snapshot, created: false };
  }
}
