import { randomBytes } from "node:crypto";
import { invalidArgument, notFound, type FieldViolation } from "../errors.js";
import {
  generateApiKey,
  hashApiKeySecret,
  type ApiKeyHashConfig,
  type ApiKeyRepository,
  type StoredApiKey,
} from "./api-key.js";
import { assertStoreVisible, effectiveScopes, requireScope, type Principal, type Scope } from "./principal.js";

export interface ManageApiKeysDeps {
  readonly repository: ApiKeyRepository;
  readonly hash: ApiKeyHashConfig;
  readonly now: () => Date;
  /** Randomness source for key ids and secrets; defaults to `crypto.randomBytes`. */
  readonly random?: (n: number) => Uint8Array;
}

export interface CreateApiKeyInput {
  readonly name: string;
  readonly scopes: ReadonlySet<Scope>;
  readonly stores: "*" | ReadonlySet<string>;
  readonly expiresAt: Date | null;
}

export interface CreatedApiKey {
  /** The full `vk_<keyId>_<secret>` key. Return it to the caller once; it cannot be recovered. */
  readonly key: string;
  readonly record: StoredApiKey;
}

const MAX_NAME = 100;

/**
 * Creates an API key on behalf of an admin. Rules:
 * - the creator needs `snapshot:admin`;
 * - it can only grant scopes it effectively holds (admin grants admin/read/write; `snapshot:export`
 *   only if it holds export itself);
 * - it can only grant stores it can see: a store outside its set gives the same NOT_FOUND as a
 *   missing store, and `'*'` requires the creator to have `'*'`;
 * - name 1–100 characters, at least one scope and one store, expiry (if any) in the future.
 * Only the hash of the secret is persisted.
 */
export async function createApiKey(
  deps: ManageApiKeysDeps,
  creator: Principal,
  input: CreateApiKeyInput,
): Promise<CreatedApiKey> {
  requireScope(creator, "snapshot:admin");
  const now = deps.now();
  const violations: FieldViolation[] = [];
  const name = input.name.trim();
  if (name.length === 0 || name.length > MAX_NAME) {
    violations.push({ field: "name", description: `must be 1-${MAX_NAME} characters` });
  }
  if (input.scopes.size === 0) violations.push({ field: "scopes", description: "must name at least one scope" });
  if (input.stores !== "*" && input.stores.size === 0) {
    violations.push({ field: "stores", description: "must name at least one store or '*'" });
  }
  if (input.expiresAt !== null && input.expiresAt.getTime() <= now.getTime()) {
    violations.push({ field: "expire_time", description: "must be in the future" });
  }
  if (violations.length > 0) throw invalidArgument(violations);

  const grantable = effectiveScopes(creator.scopes);
  const notGrantable = [...input.scopes].filter((s) => !grantable.has(s));
  if (notGrantable.length > 0) {
    throw invalidArgument([{ field: "scopes", description: `cannot grant scopes you do not hold: ${notGrantable.join(", ")}` }]);
  }
  if (input.stores === "*") {
    if (creator.stores !== "*") {
      throw invalidArgument([{ field: "stores", description: "cannot grant '*' without access to every store" }]);
    }
  } else {
    for (const storeId of input.stores) assertStoreVisible(creator, storeId);
  }

  const generated = generateApiKey(deps.random ?? randomBytes);
  const record: StoredApiKey = {
    keyId: generated.keyId,
    name,
    secretHash: hashApiKeySecret(generated.secret, deps.hash),
    scopes: new Set(input.scopes),
    stores: input.stores === "*" ? "*" : new Set(input.stores),
    expiresAt: input.expiresAt,
    revoked: false,
    createdBy: creator.id,
    createTime: now,
  };
  await deps.repository.insert(record);
  return { key: generated.key, record };
}

/**
 * Revokes a key. Needs `snapshot:admin`; an admin limited to some stores may only revoke keys whose
 * stores are all within its own set (others look missing). Revoking an already revoked key succeeds.
 */
export async function revokeApiKey(
  deps: Pick<ManageApiKeysDeps, "repository">,
  admin: Principal,
  keyId: string,
): Promise<void> {
  requireScope(admin, "snapshot:admin");
  const key = await deps.repository.findById(keyId);
  const own = admin.stores;
  const visible =
    key !== undefined && (own === "*" || (key.stores !== "*" && [...key.stores].every((s) => own.has(s))));
  if (!visible) throw notFound("API key", keyId);
  await deps.repository.revoke(keyId);
}
