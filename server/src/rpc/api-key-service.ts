import type { ServiceImpl } from "@connectrpc/connect";
import { ApiKeyService } from "../../../gen/vellum/v1/api_key_service_pb.js";
import { requestFingerprint } from "../domain/audit/request-fingerprint.js";
import type { ApiKeyAdmin } from "../domain/auth/api-key-admin.js";
import { auditOf, principalOf } from "./context.js";
import { dateOf } from "./convert.js";
import { apiKeyToPb } from "./security-convert.js";

/** ApiKeyService over the API key admin use-cases; the caller is the admin (scope checked by the gate). */
export function createApiKeyServiceImpl(deps: { apiKeys: ApiKeyAdmin }): ServiceImpl<typeof ApiKeyService> {
  const { apiKeys } = deps;
  return {
    async createApiKey(req, ctx) {
      const { key, record } = await apiKeys.create(
        principalOf(ctx),
        {
          name: req.name,
          scopes: req.scopes,
          storeIds: req.storeIds,
          allStores: req.allStores,
          expiresAt: dateOf(req.expireTime, "expire_time") ?? null,
          idempotencyKey: req.idempotencyKey,
          fingerprint: requestFingerprint(req, ["idempotencyKey"]).toHex(),
        },
        auditOf(ctx),
      );
      return { apiKey: apiKeyToPb(record), key };
    },
    async listApiKeys(req, ctx) {
      const page = await apiKeys.list(principalOf(ctx), req.pageSize, req.pageToken, req.showRevoked);
      return { apiKeys: page.keys.map(apiKeyToPb), nextPageToken: page.nextPageToken };
    },
    async revokeApiKey(req, ctx) {
      return { apiKey: apiKeyToPb(await apiKeys.revoke(principalOf(ctx), req.keyId, auditOf(ctx))) };
    },
  };
}
