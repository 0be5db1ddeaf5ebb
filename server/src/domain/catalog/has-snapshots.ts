import { validateResourceKey } from "../versions/service.js";
import type { ResourceKey } from "../ports.js";
import { RESOURCE_VERSION_RE, Validator } from "../validate.js";
import type { ResourceLookup } from "./types.js";

export type HasSnapshots = ReturnType<typeof createHasSnapshots>;

/** HasSnapshots: whether a resource (or one resource_version of it) has live snapshots, and the newest. */
export function createHasSnapshots(deps: { lookup: ResourceLookup }) {
  return async (key: ResourceKey, resourceVersion: string) => {
    const v = new Validator();
    validateResourceKey(key, v);
    if (resourceVersion !== "" && !RESOURCE_VERSION_RE.test(resourceVersion)) {
      v.add("resource_version", "must be 1-128 printable ASCII characters");
    }
    v.throwIfAny();
    const latest = await deps.lookup.latestLive(key, resourceVersion || undefined);
    return { hasSnapshots: latest !== undefined, latestSnapshotId: latest?.id ?? "" };
  };
}
