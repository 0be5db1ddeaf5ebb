import { join } from "node:path";
import { uuidv7 } from "uuidv7";
import type { Config } from "../config.js";
import { createAuditQueries, type AuditQueries } from "../domain/audit/audit-queries.js";
import { createApiKeyAdmin, type ApiKeyAdmin, type ApiKeyAdminRepository } from "../domain/auth/api-key-admin.js";
import { createApiKeyCache } from "../domain/auth/api-key-cache.js";
import type { SnapshotRepository } from "../domain/ports.js";
import { createRateLimiter, type RateLimiter } from "../domain/ratelimit/rate-limiter.js";
import { createShareUseCases, type ShareUseCases } from "../domain/share/share-use-cases.js";
import { createSnapshotMetadataUseCases, type SnapshotMetadataUseCases } from "../domain/snapshots/metadata-updates.js";
import type { Logger } from "../lib/logger.js";
import type { Authenticate } from "../rpc/request-gate.js";
import { subscribeApiKeyChanges } from "../storage/db/api-key-notify.js";
import { createApiKeyRepository } from "../storage/db/api-key-repo.js";
import { createAuditRepository } from "../storage/db/audit-repo.js";
import type { Database } from "../storage/db/client.js";
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
 * revoked). Logs key ids only, never secrets. Requests authenticate API keys through a cache of key
 * records (`createApiKeyCache`): a revocation through this process applies to its next request, and
 * one through another process as soon as its change notification arrives. `close` stops listening.
 */
export async function composeSecurity(
  config: Pick<Config, "security" | "dataDir">,
  deps: { database: Pick<Database, "db" | "sql">; snapshots: Pick<SnapshotRepository, "get">; log: Logger },
): Promise<{ services: SecurityServices; close(): Promise<void> }> {
  const { security } = config;
  const { db } = deps.database;
  const now = () => new Date();
  const apiKeyRepo = createApiKeyRepository(db);
  if (security.adminKey) {
    const key = bootstrapAdminKey(security.adminKey, now());
    const status = await apiKeyRepo.ensureBootstrapKey(key);
    deps.log.info("bootstrap admin key ready", { keyId: key.keyId, status });
  }
  const keyCache = createApiKeyCache(apiKeyRepo.findById);
  const close = await subscribeApiKeyChanges(deps.database.sql, keyCache);
  const adminRepo: ApiKeyAdminRepository = {
    ...apiKeyRepo,
    async revoke(keyId, at, audit) {
      const after = await apiKeyRepo.revoke(keyId, at, audit);
      keyCache.invalidate(keyId);
      return after;
    },
  };
  const shareSecret = security.shareSecret ?? loadOrCreateShareSecretFile(join(config.dataDir, "share.key"));
  const services: SecurityServices = {
    authenticate: createAuthenticator(security, keyCache, now),
    limiter: createRateLimiter({ classes: security.rateLimits }),
    apiKeys: createApiKeyAdmin({ repository: adminRepo, hash: {}, now }),
    audit: createAuditQueries({ audit: createAuditRepository(db) }),
    shares: createShareUseCases({
      shares: createShareRepository(db),
      snapshots: deps.snapshots,
      key: shareSigningKey(shareSecret),
      now,
      newId: () => uuidv7(),
    }),
    metadata: createSnapshotMetadataUseCases({ repository: createSnapshotMetadataRepository(db) }),
    publicUrl: security.publicUrl,
  };
  return { services, close };
}
