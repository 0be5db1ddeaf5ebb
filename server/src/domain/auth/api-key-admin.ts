import type { AuditContext } from "../audit/audit-context.js";
import { alreadyExists, invalidArgument, type FieldViolation } from "../errors.js";
import { decodePageToken, encodePageToken, pageSizeOf, parseTimeIdCursor } from "../paging.js";
import { IDEMPOTENCY_KEY_RE, STORE_ID_RE } from "../validate.js";
import type { ApiKeyHashConfig, StoredApiKey } from "./api-key.js";
import { createApiKey, revokeApiKey } from "./manage-api-keys.js";
import { isScope, requireScope, storeFilter, type Principal, type Scope } from "./principal.js";

/** A stored key as listed: the domain record plus when it was revoked. */
export interface ApiKeyRecord extends StoredApiKey {
  readonly revokeTime?: Date;
}

/** Persistence of API keys with audit events (global chain) and idempotency. */
export interface ApiKeyAdminRepository {
  findById(keyId: string): Promise<ApiKeyRecord | undefined>;
  /**
   * Inserts the key and its `api_key.create` audit event in one transaction. With an idempotency
   * key, claims it in the same transaction; when an earlier request already claimed it with the same
   * fingerprint nothing is inserted and that request's key id is returned as `replayedKeyId`; with a
   * different fingerprint it fails ALREADY_EXISTS.
   */
  insert(key: StoredApiKey, opts: { audit: AuditContext; idempotency?: { key: string; fingerprint: string } }): Promise<{ replayedKeyId?: string }>;
  /** Marks the key revoked (if not already) with an `api_key.revoke` event; undefined when absent. */
  revoke(keyId: string, now: Date, audit: AuditContext): Promise<ApiKeyRecord | undefined>;
  /** Keys whose stores lie within `stores` (all keys for "*"), newest first, after the cursor. */
  list(
    filter: { stores: "*" | string[]; showRevoked: boolean },
    limit: number,
    after?: { createTime: Date; id: string },
  ): Promise<ApiKeyRecord[]>;
  /** Previously claimed idempotency key of CreateApiKey, if still live. */
  findIdempotent(key: string, now: Date): Promise<{ fingerprint: string; resultId: string } | undefined>;
}

export interface ApiKeyAdminDeps {
  readonly repository: ApiKeyAdminRepository;
  readonly hash: ApiKeyHashConfig;
  readonly now: () => Date;
}

export interface CreateApiKeyRequestInput {
  name: string;
  scopes: readonly string[];
  storeIds: readonly string[];
  allStores: boolean;
  expiresAt: Date | null;
  idempotencyKey: string;
  /** Fingerprint of the request body (without the idempotency key), hex. */
  fingerprint: string;
}

const reused = () => alreadyExists("idempotency_key was already used with a different request", "IDEMPOTENCY_KEY_REUSED");

/** API key administration on top of `createApiKey`/`revokeApiKey` (which enforce the grant rules). */
export function createApiKeyAdmin(deps: ApiKeyAdminDeps) {
  const { repository } = deps;

  async function replay(keyId: string) {
    const record = await repository.findById(keyId);
    if (!record) throw reused();
    return { key: "", record };
  }

  return {
    /**
     * Creates a key (see `createApiKey` for the rules). Returns the full key once; an idempotent
     * replay returns the original record with an empty key (the secret is not stored).
     */
    async create(admin: Principal, input: CreateApiKeyRequestInput, audit: AuditContext): Promise<{ key: string; record: ApiKeyRecord }> {
      requireScope(admin, "snapshot:admin");
      const violations: FieldViolation[] = [];
      const unknown = input.scopes.filter((s) => !isScope(s));
      if (unknown.length) violations.push({ field: "scopes", description: `unknown scopes: ${unknown.join(", ")}` });
      input.storeIds.forEach((s, i) => {
        if (!STORE_ID_RE.test(s)) violations.push({ field: `store_ids[${i}]`, description: "must be 1-64 characters of [A-Za-z0-9._-]" });
      });
      if (input.allStores && input.storeIds.length) violations.push({ field: "store_ids", description: "must be empty with all_stores" });
      if (input.idempotencyKey && !IDEMPOTENCY_KEY_RE.test(input.idempotencyKey)) {
        violations.push({ field: "idempotency_key", description: "must be 1-128 printable ASCII characters" });
      }
      if (violations.length) throw invalidArgument(violations);
      // Idempotency keys are kept per creating principal, so admins never see each other's results.
      const idempotency = input.idempotencyKey
        ? { key: `${audit.actor}/${input.idempotencyKey}`, fingerprint: input.fingerprint }
        : undefined;
      if (idempotency) {
        const hit = await repository.findIdempotent(idempotency.key, deps.now());
        if (hit && hit.fingerprint !== idempotency.fingerprint) throw reused();
        if (hit) return replay(hit.resultId);
      }
      let replayedKeyId: string | undefined;
      const created = await createApiKey(
        {
          hash: deps.hash,
          now: deps.now,
          repository: {
            findById: repository.findById,
            revoke: async () => false,
            insert: async (key) => {
              ({ replayedKeyId } = await repository.insert(key, { audit, idempotency }));
            },
          },
        },
        admin,
        {
          name: input.name,
          scopes: new Set(input.scopes as Scope[]),
          stores: input.allStores ? "*" : new Set(input.storeIds),
          expiresAt: input.expiresAt,
        },
      );
      return replayedKeyId ? replay(replayedKeyId) : created;
    },

    /** Revokes a key the admin can see (see `revokeApiKey`); returns it after revocation. */
    async revoke(admin: Principal, keyId: string, audit: AuditContext): Promise<ApiKeyRecord> {
      let after: ApiKeyRecord | undefined;
      await revokeApiKey(
        {
          repository: {
            findById: repository.findById,
            insert: async () => {
              throw new TypeError("insert is not used by revoke");
            },
            revoke: async (id) => {
              after = await repository.revoke(id, deps.now(), audit);
              return after !== undefined;
            },
          },
        },
        admin,
        keyId,
      );
      return after!;
    },

    /** Keys the admin can see, newest first. */
    async list(admin: Principal, pageSize: number, pageToken: string, showRevoked: boolean) {
      requireScope(admin, "snapshot:admin");
      const size = pageSizeOf(pageSize);
      const filters = { showRevoked, stores: storeFilter(admin) };
      const after = decodePageToken(pageToken, filters, parseKeyCursor);
      const rows = await repository.list(filters, size + 1, after);
      const keys = rows.slice(0, size);
      const last = keys[keys.length - 1];
      return {
        keys,
        nextPageToken:
          rows.length > size && last ? encodePageToken({ t: last.createTime.toISOString(), id: last.keyId }, filters) : "",
      };
    },
  };
}

export type ApiKeyAdmin = ReturnType<typeof createApiKeyAdmin>;

const parseKeyCursor = (c: unknown) => parseTimeIdCursor(c, /^[A-Za-z0-9]{8,64}$/);

