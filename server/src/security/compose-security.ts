import { join } from "node:path";
import { uuidv7 } from "uuidv7";
import type { Config } from "../config.js";
import { createAuditQueries, type AuditQueries } from "../domain/audit/audit-queries.js";
import { createApiKeyAdmin, type ApiKeyAdmin } from "../domain/auth/api-key-admin.js";
import type { SnapshotRepository } from "../domain/ports.js";
import { createRateLimiter, type RateLimiter } from "../domain/ratelimit/rate-limiter.js";
import { createShareUseCases, type ShareUseCases } from "../domain/share/share-use-cases.js";
import { createSnapshotMetadataUseCases, type SnapshotMetadataUseCases } from "../domain/snapshots/metadata-updates.js";
import type { Logger } from "../lib/logger.js";
import type { Authenticate } from "../rpc/request-gate.js";
import { createApiKeyRepository } from "../storage/db/api-key-repo.js";
import { createAuditRepository } from "../storage/db/audit-repo.js";
import type { Db } from "../storage/db/client.js";
import { createShareRepository } from "../storage/db/share-repo.js";
import { createSnapshotMetadataRepository } from "../storage/db/snapshot-metadata-repo.js";
import { bootstrapAdminKey, createAuthenticator } from "./authenticator.js";
import { loadOrCreateShareSecretFile, shareSigningKey } from "./share-key.js";

/** Authentication, authorization support, audit, share links and metadata admin, built from config. */
export interface SecurityServices {
  authenticate: Authenticate;
  limiter: RateLimiter;
  apiKeys: ApiKeyAdmin;
  audit: AuditQueries;
  shares: ShareUseCases;
  metadata: SnapshotMetadataUseCases;
  publicUrl?: string;
}

/**
 * Wires the security services. With VELLUM_ADMIN_KEY set, makes sure that key exists (created, or
 * its secret hash updated when the configured key changed; a key revoked through the API stays
 * revoked). Logs key ids only, never secrets.
 */
export async function composeSecurity(
  config: Pick<Config, "security" | "dataDir">,
  deps: { db: Db; snapshots: Pick<SnapshotRepository, "get">; log: Logger },
): Promise<SecurityServices> {
  const { security } = config;
  const now = () => new Date();
  const apiKeyRepo = createApiKeyRepository(deps.db);
  if (security.adminKey) {
    const key = bootstrapAdminKey(security.adminKey, now());
    const status = await apiKeyRepo.ensureBootstrapKey(key);
    deps.log.info("bootstrap admin key ready", { keyId: key.keyId, status });
  }
  const shareSecret = security.shareSecret ?? loadOrCreateShareSecretFile(join(config.dataDir, "share.key"));
  return {
    authenticate: createAuthenticator(security, apiKeyRepo, now),
    limiter: createRateLimiter({ classes: security.rateLimits }),
    apiKeys: createApiKeyAdmin({ repository: apiKeyRepo, hash: {}, now }),
    audit: createAuditQueries({ audit: createAuditRepository(deps.db) }),
    shares: createShareUseCases({
      shares: createShareRepository(deps.db),
      snapshots: deps.snapshots,
      key: shareSigningKey(shareSecret),
      now,
      newId: () => uuidv7(),
    }),
    metadata: createSnapshotMetadataUseCases({ repository: createSnapshotMetadataRepository(deps.db) }),
    publicUrl: security.publicUrl,
  };
}
