import { DomainError } from "../errors.js";
import { parseApiKey, unknownApiKey, verifyApiKey, type ApiKeyHashConfig, type ApiKeyRepository } from "./api-key.js";
import { extractCredential, type HeaderSource } from "./credentials.js";
import type { JwtVerifier } from "./jwt-verifier.js";
import type { Principal } from "./principal.js";

export interface AuthenticateDeps {
  /** API-key authentication; when absent, API keys are refused. */
  readonly apiKeys?: { readonly repository: Pick<ApiKeyRepository, "findById">; readonly hash: ApiKeyHashConfig };
  /** JWT bearer authentication; when absent, JWTs are refused. */
  readonly jwt?: JwtVerifier;
  readonly now: () => Date;
  /**
   * Principal for requests that carry no credential at all (e.g. `localAdminPrincipal()` when the
   * config disables authentication). When absent such requests are UNAUTHENTICATED. A request that
   * carries a bad credential is always rejected, never downgraded to this principal.
   */
  readonly anonymous?: Principal;
}

/** Reason for requests without any credential. */
export const CREDENTIALS_MISSING = "CREDENTIALS_MISSING";

/**
 * Authenticates a request from its headers alone (run it before the body is read). Exactly one
 * credential is accepted: an API key (`x-api-key` or `authorization: Bearer vk_...`) or a JWT
 * (`authorization: Bearer <jwt>`).
 *
 * @throws UNAUTHENTICATED (reason CREDENTIALS_*, API_KEY_* or TOKEN_*), or UNAVAILABLE when the
 *   identity provider's keys cannot be fetched. No error message contains the presented credential.
 */
export async function authenticate(headers: HeaderSource, deps: AuthenticateDeps): Promise<Principal> {
  const credential = extractCredential(headers);
  if (credential === undefined) {
    if (deps.anonymous) return deps.anonymous;
    throw new DomainError("Unauthenticated", "missing credentials: send authorization: Bearer or x-api-key", {
      reason: CREDENTIALS_MISSING,
    });
  }
  if (credential.kind === "bearer") {
    if (!deps.jwt) {
      throw new DomainError("Unauthenticated", "bearer tokens are not accepted", { reason: "CREDENTIALS_UNSUPPORTED" });
    }
    return deps.jwt.verify(credential.token, deps.now());
  }
  if (!deps.apiKeys) {
    throw new DomainError("Unauthenticated", "API keys are not accepted", { reason: "CREDENTIALS_UNSUPPORTED" });
  }
  const parsed = parseApiKey(credential.key);
  if (!parsed) throw unknownApiKey();
  const stored = await deps.apiKeys.repository.findById(parsed.keyId);
  if (!stored) throw unknownApiKey();
  return verifyApiKey(parsed, stored, { ...deps.apiKeys.hash, now: deps.now() });
}
