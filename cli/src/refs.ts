/** Snapshot references on the command line. */
import type { CliContext } from "./context.js";
import { CliError } from "./exit-codes.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const SNAPSHOT_REF_HELP = "a snapshot id, or <resource_type>/<resource_id>[@<version>] (latest version when omitted)";

/**
 * The snapshot id `ref` names: an id as is, or a resource's version (GetVersion) or latest version
 * (GetLatestVersion) in the context's store.
 */
export async function resolveSnapshotId(ctx: CliContext, ref: string): Promise<string> {
  if (UUID.test(ref)) return ref.toLowerCase();
  const m = /^([^/@]+)\/([^@]+?)(?:@(\d+|latest))?$/.exec(ref);
  if (!m) throw new CliError(`a snapshot is ${SNAPSHOT_REF_HELP}; got ${JSON.stringify(ref)}`);
  const [, resourceType, resourceId, version] = m;
  const req = { storeId: ctx.store(), resourceType, resourceId };
  const versions = ctx.client().versions;
  const res = version === undefined || version === "latest" ? await versions.getLatestVersion(req) : await versions.getVersion({ ...req, version: BigInt(version) });
  return res.version!.snapshotId;
}
