import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { Sha256 } from "../digest.js";
import { DomainError } from "../errors.js";
import { decodeBase64url, encodeBase64url } from "./base64url.js";
import type { Principal, Scope } from "./principal.js";

/**
 * API keys look like `vk_<keyId>_<secret>`:
 * - `keyId`: 8–64 ASCII letters or digits (generated keys use 20 lowercase hex characters). Not secret;
 *   it is the lookup key and appears in audit logs.
 * - `secret`: 32 random bytes, unpadded base64url (43 characters; may itself contain `_`).
 * Only a hash of the secret is stored (`hashApiKeySecret`); the full key is shown once at creation.
 */
export const API_KEY_PREFIX = "vk_";

const KEY_RE = /^vk_([A-Za-z0-9]{8,64})_([A-Za-z0-9_-]{43})$/;
const SECRET_BYTES = 32;

export interface ParsedApiKey {
  readonly keyId: string;
  /** The base64url secret exactly as presented. */
  readonly secret: string;
}

/** A persisted API key. `secretHash` is `hashApiKeySecret(secret, pepper)`; the secret is never stored. */
export interface StoredApiKey {
  readonly keyId: string;
  /** Human label chosen by the creating admin. */
  readonly name: string;
  readonly secretHash: Sha256;
  readonly scopes: ReadonlySet<Scope>;
  readonly stores: "*" | ReadonlySet<string>;
  /** The key stops working at this instant; null means no expiry. */
  readonly expiresAt: Date | null;
  readonly revoked: boolean;
  /** Principal id of the admin who created it. */
  readonly createdBy: string;
  readonly createTime: Date;
}

/** Persistence port for API keys (implemented over Postgres by the storage layer). */
export interface ApiKeyRepository {
  /** The key with this id, revoked or not; undefined when there is none. */
  findById(keyId: string): Promise<StoredApiKey | undefined>;
  /** Inserts a new key; keyIds are random, so a collision may surface as the adapter's error. */
  insert(key: StoredApiKey): Promise<void>;
  /** Marks the key revoked; returns false when no key has this id. Idempotent. */
  revoke(keyId: string): Promise<boolean>;
}

/** Hashing configuration. With a `pepper` (server-side secret, ≥ 32 bytes) hashes are HMAC-SHA-256. */
export interface ApiKeyHashConfig {
  readonly pepper?: Uint8Array;
}

/** Reason codes carried in `DomainError.details.reason` for rejected API keys. */
export type ApiKeyRejection = "API_KEY_INVALID" | "API_KEY_REVOKED" | "API_KEY_EXPIRED";

const reject = (reason: ApiKeyRejection, message: string) =>
  new DomainError("Unauthenticated", message, { reason });

/** Parses `vk_<keyId>_<secret>`; undefined for anything else, including a secret that is not 32 bytes. */
export function parseApiKey(presented: string): ParsedApiKey | undefined {
  const m = KEY_RE.exec(presented);
  if (!m) return undefined;
  const bytes = decodeBase64url(m[2]);
  if (!bytes || bytes.length !== SECRET_BYTES) return undefined;
  return { keyId: m[1], secret: m[2] };
}

/** Quick syntactic check used to route `Authorization: Bearer vk_...` to API-key authentication. */
export const looksLikeApiKey = (token: string): boolean => token.startsWith(API_KEY_PREFIX);

/** Generates a new key id and secret. `random` is injectable for deterministic tests. */
export function generateApiKey(random: (n: number) => Uint8Array = randomBytes): ParsedApiKey & { key: string } {
  const keyId = Buffer.from(random(10)).toString("hex");
  const secret = encodeBase64url(random(SECRET_BYTES));
  return { keyId, secret, key: `${API_KEY_PREFIX}${keyId}_${secret}` };
}

/** Formats a parsed key back into its presented form. */
export const formatApiKey = (k: ParsedApiKey): string => `${API_KEY_PREFIX}${k.keyId}_${k.secret}`;

/**
 * Hash stored for a secret: SHA-256 of the secret's UTF-8 text, or HMAC-SHA-256 keyed by the pepper
 * when one is configured. A pepper keeps a leaked database from being enough to test guesses offline;
 * changing it invalidates every stored key.
 */
export function hashApiKeySecret(secret: string, config: ApiKeyHashConfig = {}): Sha256 {
  const { pepper } = config;
  if (pepper !== undefined && pepper.length < 32) throw new TypeError("API key pepper must be at least 32 bytes");
  const h = pepper ? createHmac("sha256", pepper) : createHash("sha256");
  return Sha256.fromBytes(h.update(secret, "utf8").digest());
}

/** Constant-time digest comparison (both digests are always 32 bytes). */
export const digestsEqual = (a: Sha256, b: Sha256): boolean => timingSafeEqual(a.bytes, b.bytes);

/**
 * Checks a presented key against its stored record and returns the principal it authenticates.
 * The secret is compared in constant time, before revocation and expiry, so only the holder of the
 * real secret learns that a key is revoked or expired. A key is expired when `now >= expiresAt`.
 *
 * @throws UNAUTHENTICATED with reason API_KEY_INVALID (malformed, wrong id, wrong secret),
 *   API_KEY_REVOKED or API_KEY_EXPIRED. Messages never contain the presented key.
 */
export function verifyApiKey(
  presented: string | ParsedApiKey,
  stored: StoredApiKey,
  options: ApiKeyHashConfig & { now: Date },
): Principal {
  const parsed = typeof presented === "string" ? parseApiKey(presented) : presented;
  if (!parsed) throw reject("API_KEY_INVALID", "malformed API key");
  const hash = hashApiKeySecret(parsed.secret, options);
  const idMatches = parsed.keyId === stored.keyId;
  if (!digestsEqual(hash, stored.secretHash) || !idMatches) throw reject("API_KEY_INVALID", "invalid API key");
  if (stored.revoked) throw reject("API_KEY_REVOKED", "API key has been revoked");
  if (stored.expiresAt !== null && options.now.getTime() >= stored.expiresAt.getTime()) {
    throw reject("API_KEY_EXPIRED", "API key has expired");
  }
  return {
    id: stored.keyId,
    kind: "api_key",
    scopes: new Set(stored.scopes),
    stores: stored.stores === "*" ? "*" : new Set(stored.stores),
  };
}

/** Rejection used when no stored key has the presented id (same error as a wrong secret). */
export const unknownApiKey = (): DomainError => reject("API_KEY_INVALID", "invalid API key");
