import { createPublicKey, type KeyObject } from "node:crypto";
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from "jose";
import { DomainError, unavailable } from "../errors.js";
import { parseScopes, type Principal } from "./principal.js";

/** Where verification keys come from. */
export type JwtKeySource =
  /** A JWKS endpoint (https, or http on a loopback host). Keys are cached and refetched on unknown `kid`. */
  | { kind: "jwks_url"; url: string; timeoutMs?: number; cooldownMs?: number; cacheMaxAgeMs?: number }
  /** A PEM public key (SPKI) or X.509 certificate. */
  | { kind: "pem"; pem: string }
  /** One public JWK or a JWK set; keys are matched by `kid`/`alg` like a remote set. */
  | { kind: "jwk"; jwk: JWK | { keys: JWK[] } }
  /** A shared HMAC secret (at least 32 bytes) for HS256/384/512. */
  | { kind: "hmac"; secret: Uint8Array };

export interface JwtConfig {
  /** Accepted `alg` values; required and non-empty. `none` is refused; HS* only with an `hmac` key. */
  readonly algorithms: readonly string[];
  /** Accepted `iss` value(s); required. */
  readonly issuer: string | readonly string[];
  /** Accepted `aud` value(s); the token must name at least one. Required. */
  readonly audience: string | readonly string[];
  /** Allowed clock skew for `exp`/`nbf`, seconds. Default 30. */
  readonly clockToleranceSec?: number;
  /** Reject tokens without `exp`. Default true. */
  readonly requireExp?: boolean;
  /** Claim holding the store ids (array of strings) or `"*"`. Default `"stores"`; absent claim = no stores. */
  readonly storesClaim?: string;
  /** Tokens longer than this are rejected before parsing. Default 8192 characters. */
  readonly maxTokenLength?: number;
  readonly key: JwtKeySource;
}

export interface JwtVerifier {
  /**
   * Verifies a compact JWS and maps its claims to a principal (`kind: 'jwt'`, `id` = `sub`; scopes from
   * `scope` (space-separated) and/or `scp` (array or space-separated string), unknown scopes ignored).
   *
   * @param now verification time; defaults to the current time.
   * @throws UNAUTHENTICATED with a `TOKEN_*` reason (see `JwtRejection`); UNAVAILABLE when the JWKS
   *   endpoint cannot be reached. Messages never include the token.
   */
  verify(token: string, now?: Date): Promise<Principal>;
}

export type JwtRejection =
  | "TOKEN_MALFORMED"
  | "TOKEN_ALG_NOT_ALLOWED"
  | "TOKEN_SIGNATURE_INVALID"
  | "TOKEN_KEY_UNKNOWN"
  | "TOKEN_EXPIRED"
  | "TOKEN_NOT_YET_VALID"
  | "TOKEN_EXP_MISSING"
  | "TOKEN_ISSUER_INVALID"
  | "TOKEN_AUDIENCE_INVALID"
  | "TOKEN_CLAIMS_INVALID";

const KNOWN_ALGS = new Set([
  "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
  "ES256", "ES384", "ES512", "EdDSA", "Ed25519",
]);
const COMPACT_JWS_RE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

const reject = (reason: JwtRejection, message: string, cause?: unknown) =>
  new DomainError("Unauthenticated", message, { reason }, { cause });

/** Marks failures to obtain keys from the JWKS endpoint (not the caller's fault). */
class KeySourceUnavailable extends Error {}

/**
 * Builds a verifier from explicit config. Configuration mistakes (empty allowlist, `none`, HMAC
 * algorithms with a public key or vice versa, short HMAC secret, plain-http JWKS URL to a remote
 * host) throw TypeError here, at startup, not per request.
 */
export function createJwtVerifier(config: JwtConfig): JwtVerifier {
  const algorithms = validateAlgorithms(config);
  const asList = (v: string | readonly string[]) => (typeof v === "string" ? [v] : [...v]);
  const issuer = asList(config.issuer);
  const audience = asList(config.audience);
  if (issuer.length === 0 || issuer.some((i) => i === "")) throw new TypeError("jwt issuer is required");
  if (audience.length === 0 || audience.some((a) => a === "")) throw new TypeError("jwt audience is required");
  const options: JWTVerifyOptions = {
    algorithms,
    issuer,
    audience,
    clockTolerance: config.clockToleranceSec ?? 30,
    requiredClaims: (config.requireExp ?? true) ? ["exp"] : [],
  };
  const storesClaim = config.storesClaim ?? "stores";
  const maxLength = config.maxTokenLength ?? 8192;
  const key = keyResolver(config.key, algorithms);

  return {
    async verify(token, now) {
      if (token.length > maxLength || !COMPACT_JWS_RE.test(token)) {
        throw reject("TOKEN_MALFORMED", "malformed bearer token");
      }
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, key, { ...options, currentDate: now }));
      } catch (e) {
        throw mapVerifyError(e);
      }
      return toPrincipal(payload, storesClaim);
    },
  };
}

function validateAlgorithms(config: JwtConfig): string[] {
  const algs = [...config.algorithms];
  if (algs.length === 0) throw new TypeError("jwt algorithms allowlist must not be empty");
  for (const a of algs) if (!KNOWN_ALGS.has(a)) throw new TypeError(`jwt algorithm not supported: ${a}`);
  const hmac = algs.filter((a) => a.startsWith("HS"));
  if (config.key.kind === "hmac") {
    if (hmac.length !== algs.length) throw new TypeError("an hmac key only verifies HS256/HS384/HS512");
    if (config.key.secret.length < 32) throw new TypeError("jwt hmac secret must be at least 32 bytes");
  } else if (hmac.length > 0) {
    throw new TypeError("HS* algorithms need an hmac key (mixing them with public keys enables key confusion)");
  }
  return algs;
}

/** Algorithms each PEM key type can verify; checked at startup so a token can never pair them wrongly. */
const PEM_FAMILIES: Record<string, RegExp> = {
  rsa: /^(RS|PS)\d+$/,
  "rsa-pss": /^PS\d+$/,
  ec: /^ES\d+$/,
  ed25519: /^(EdDSA|Ed25519)$/,
};

function keyResolver(source: JwtKeySource, algorithms: readonly string[]): JWTVerifyGetKey | Uint8Array | KeyObject {
  switch (source.kind) {
    case "hmac":
      return Uint8Array.from(source.secret);
    case "pem": {
      const key = createPublicKey(source.pem);
      const family = PEM_FAMILIES[key.asymmetricKeyType ?? ""];
      const bad = family ? algorithms.filter((a) => !family.test(a)) : algorithms;
      if (bad.length > 0) throw new TypeError(`jwt pem key cannot verify: ${bad.join(", ")}`);
      return key;
    }
    case "jwk":
      return createLocalJWKSet("keys" in source.jwk ? source.jwk : { keys: [source.jwk] });
    case "jwks_url": {
      const url = new URL(source.url);
      if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK.has(url.hostname))) {
        throw new TypeError("jwks url must use https (plain http only for loopback hosts)");
      }
      const remote = createRemoteJWKSet(url, {
        timeoutDuration: source.timeoutMs ?? 5000,
        cooldownDuration: source.cooldownMs ?? 30_000,
        cacheMaxAge: source.cacheMaxAgeMs ?? 600_000,
      });
      return async (header, token) => {
        try {
          return await remote(header, token);
        } catch (e) {
          if (e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWKSMultipleMatchingKeys) throw e;
          if (e instanceof errors.JOSENotSupported) throw e;
          throw new KeySourceUnavailable("jwks fetch failed", { cause: e });
        }
      };
    }
  }
}

function mapVerifyError(e: unknown): DomainError {
  if (e instanceof KeySourceUnavailable) return unavailable("identity provider keys are unavailable", e.cause);
  if (e instanceof errors.JWTExpired) return reject("TOKEN_EXPIRED", "bearer token has expired", e);
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === "nbf") return reject("TOKEN_NOT_YET_VALID", "bearer token is not yet valid", e);
    if (e.claim === "iss") return reject("TOKEN_ISSUER_INVALID", "bearer token issuer is not accepted", e);
    if (e.claim === "aud") return reject("TOKEN_AUDIENCE_INVALID", "bearer token audience is not accepted", e);
    if (e.claim === "exp" && e.reason === "missing") return reject("TOKEN_EXP_MISSING", "bearer token has no expiry", e);
    return reject("TOKEN_CLAIMS_INVALID", "bearer token claims are invalid", e);
  }
  if (e instanceof errors.JOSEAlgNotAllowed) return reject("TOKEN_ALG_NOT_ALLOWED", "bearer token algorithm is not accepted", e);
  if (e instanceof errors.JWSSignatureVerificationFailed) return reject("TOKEN_SIGNATURE_INVALID", "bearer token signature is invalid", e);
  if (e instanceof errors.JWKSNoMatchingKey) return reject("TOKEN_KEY_UNKNOWN", "bearer token signing key is unknown", e);
  if (e instanceof errors.JOSEError) return reject("TOKEN_MALFORMED", "malformed bearer token", e);
  if (e instanceof DomainError) return e;
  // Not a JOSE error: a bug or an unexpected key type; surface it (INTERNAL), never as a 401.
  throw e;
}

function toPrincipal(payload: JWTPayload, storesClaim: string): Principal {
  const invalid = (what: string) => reject("TOKEN_CLAIMS_INVALID", `bearer token ${what} claim is invalid`);
  const { sub } = payload;
  if (typeof sub !== "string" || sub.length === 0 || sub.length > 256) throw invalid("sub");

  const scopeStrings: string[] = [];
  const { scope, scp } = payload as { scope?: unknown; scp?: unknown };
  if (scope !== undefined) {
    if (typeof scope !== "string") throw invalid("scope");
    scopeStrings.push(...scope.split(/\s+/));
  }
  if (scp !== undefined) {
    if (typeof scp === "string") scopeStrings.push(...scp.split(/\s+/));
    else if (Array.isArray(scp) && scp.every((s) => typeof s === "string")) scopeStrings.push(...scp);
    else throw invalid("scp");
  }

  const rawStores = payload[storesClaim];
  let stores: "*" | Set<string>;
  if (rawStores === undefined) stores = new Set();
  else if (rawStores === "*") stores = "*";
  else if (Array.isArray(rawStores) && rawStores.every((s) => typeof s === "string" && s.length > 0)) {
    stores = new Set(rawStores as string[]);
  } else throw invalid(storesClaim);

  return { id: sub, kind: "jwt", scopes: parseScopes(scopeStrings), stores };
}
