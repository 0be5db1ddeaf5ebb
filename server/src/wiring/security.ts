import type { Config } from "../config.js";
import type { Logger } from "../lib/logger.js";
import { composeSecurity, type SecurityServices } from "../security/compose-security.js";
import type { DatabaseUseCases } from "./database.js";
import type { Wired } from "./module.js";
import type { SnapshotsUseCases } from "./snapshots.js";

/** Authentication, rate limits, API keys, audit queries, share links and metadata admin. */
export async function wireSecurity(
  config: Pick<Config, "security" | "dataDir">,
  log: Logger,
  deps: DatabaseUseCases & Pick<SnapshotsUseCases, "snapshotRepo">,
): Promise<Wired<SecurityServices>> {
  const { services, close } = await composeSecurity(config, { database: deps.database, snapshots: deps.snapshotRepo, log });
  return { useCases: services, jobKinds: [], close };
}
