import { hashApiKeySecret, parseApiKey, type StoredApiKey } from "../domain/auth/api-key.js";
import type { ApiKeyAdminRepository } from "../domain/auth/api-key-admin.js";
import { authenticate } from "../domain/auth/authenticate.js";
import { createJwtVerifier } from "../domain/auth/jwt-verifier.js";
import { localAdminPrincipal, SCOPES } from "../domain/auth/principal.js";
import type { Authenticate } from "../rpc/request-gate.js";
import type { SecurityConfig } from "../security-config.js";

/**
 * The request authenticator for a configuration: API keys from the database, JWTs when configured,
 * and, in development mode (`auth: none`), the local admin for requests that carry no credential.
 * A request with a bad credential is always rejected, never downgraded.
 */
export function createAuthenticator(
  config: Pick<SecurityConfig, "auth" | "jwt">,
  apiKeys: Pick<ApiKeyAdminRepository, "findById">,
  now: () => Date = () => new Date(),
): Authenticate {
  const jwt = config.jwt ? createJwtVerifier(config.jwt) : undefined;
  const anonymous = config.auth === "none" ? localAdminPrincipal() : undefined;
  return (headers) => authenticate(headers, { apiKeys: { repository: apiKeys, hash: {} }, jwt, now, anonymous });
}

/** The stored record of the VELLUM_ADMIN_KEY bootstrap key: every scope, every store, no expiry. */
export function bootstrapAdminKey(key: string, now: Date): StoredApiKey {
  const parsed = parseApiKey(key);
  if (!parsed) throw new TypeError("VELLUM_ADMIN_KEY is not an API key");
  return {
    keyId: parsed.keyId,
    name: "bootstrap admin (VELLUM_ADMIN_KEY)",
    secretHash: hashApiKeySecret(parsed.secret),
    scopes: new Set(SCOPES),
    stores: "*",
    expiresAt: null,
    revoked: false,
    createdBy: "system:config",
    createTime: now,
  };
}
