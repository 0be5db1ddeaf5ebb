import { and, eq, sql } from "drizzle-orm";
import { GLOBAL_AUDIT_STORE } from "../../domain/audit/audit-context.js";
import type { StoredApiKey } from "../../domain/auth/api-key.js";
import type { ApiKeyAdminRepository, ApiKeyRecord } from "../../domain/auth/api-key-admin.js";
import { parseScopes } from "../../domain/auth/principal.js";
import { parseDigest } from "../../domain/digest.js";
import { notifyApiKeyChangedTx } from "./api-key-notify.js";
import { appendAuditTx } from "./audit-repo.js";
import type { Db } from "./client.js";
import { claimIdempotencyTx, findIdempotency, Replayed } from "./idempotency-tx.js";
import { afterCursor, newestFirst } from "./keyset.js";
import { apiKeys, type ApiKeyRow } from "./schema/index.js";

const METHOD = "CreateApiKey";

/**
 * Audit state of a key: never the secret hash.
 */
export const apiKeyState = (k: ApiKeyRecord) => ({
  keyId: k.keyId,
  name: k.name,
  scopes: [...k.scopes].sort(),
  stores: k.stores === "*" ? "*" : [...k.stores].sort(),
  expireTime: k.expiresAt?.toISOString() ?? null,
  revoked: k.revoked,
  createdBy: k.createdBy,
});

export function createApiKeyRepository(db: Db): ApiKeyAdminRepository & {
  /**
   * Makes sure the bootstrap admin key exists with this secret hash: inserts it (audited as
   * `api_key.bootstrap` by `system:config`) or updates its hash when the configured key changed.
   * A key revoked through the API stays revoked.
   */
  ensureBootstrapKey(key: StoredApiKey): Promise<"created" | "updated" | "unchanged">;
} {
  return {
    async findById(keyId) {
      const [row] = await db.select().from(apiKeys).where(eq(apiKeys.keyId, keyId));
      return row && toRecord(row);
    },

    async insert(key, opts) {
      try {
        await db.transaction(async (tx) => {
          if (opts.idempotency) {
            const earlier = await claimIdempotencyTx(tx, {
              storeId: GLOBAL_AUDIT_STORE,
              method: METHOD,
              key: opts.idempotency.key,
              fingerprint: opts.idempotency.fingerprint,
              resultId: key.keyId,
              now: key.createTime,
            });
            if (earlier) throw new Replayed(earlier);
          }
          await tx.insert(apiKeys).values(toRow(key));
          await appendAuditTx(tx, opts.audit, {
            storeId: GLOBAL_AUDIT_STORE,
            action: "api_key.create",
            resourceType: "api_key",
            resourceId: key.keyId,
            before: null,
            after: apiKeyState(key),
          });
        });
        return {};
      } catch (e) {
        if (e instanceof Replayed) return { replayedKeyId: e.resultId };
        throw e;
      }
    },

    async revoke(keyId, now, audit) {
      return db.transaction(async (tx) => {
        const [row] = await tx.select().from(apiKeys).where(eq(apiKeys.keyId, keyId)).for("update");
        if (!row) return undefined;
        const before = toRecord(row);
        if (row.revoked) return before;
        const [updated] = await tx.update(apiKeys).set({ revoked: true, revokeTime: now }).where(eq(apiKeys.keyId, keyId)).returning();
        const after = toRecord(updated);
        await notifyApiKeyChangedTx(tx, keyId);
        await appendAuditTx(tx, audit, {
          storeId: GLOBAL_AUDIT_STORE,
          action: "api_key.revoke",
          resourceType: "api_key",
          resourceId: keyId,
          before: apiKeyState(before),
          after: apiKeyState(after),
        });
        return after;
      });
    },

    async list(filter, limit, after) {
      const rows = await db
        .select()
        .from(apiKeys)
        .where(
          and(
            filter.showRevoked ? undefined : eq(apiKeys.revoked, false),
            filter.stores === "*"
              ? undefined
              : and(eq(apiKeys.allStores, false), sql`${apiKeys.stores} <@ ${sql`array[${sql.join(filter.stores.map((s) => sql`${s}`), sql`, `)}]::text[]`}`),
            afterCursor(apiKeys.createTime, apiKeys.keyId, after),
          ),
        )
        .orderBy(...newestFirst(apiKeys.createTime, apiKeys.keyId))
        .limit(limit);
      return rows.map(toRecord);
    },

    async findIdempotent(key, now) {
      return findIdempotency(db, GLOBAL_AUDIT_STORE, METHOD, key, now);
    },

    async ensureBootstrapKey(key) {
      return db.transaction(async (tx) => {
        const [row] = await tx.select().from(apiKeys).where(eq(apiKeys.keyId, key.keyId)).for("update");
        const audit = { actor: "system:config", requestId: "startup" };
        if (!row) {
          await tx.insert(apiKeys).values(toRow(key));
          await appendAuditTx(tx, audit, {
            storeId: GLOBAL_AUDIT_STORE,
            action: "api_key.bootstrap",
            resourceType: "api_key",
            resourceId: key.keyId,
            before: null,
            after: apiKeyState(key),
          });
          return "created";
        }
        if (row.secretHash === key.secretHash.toHex()) return "unchanged";
        await tx.update(apiKeys).set({ secretHash: key.secretHash.toHex() }).where(eq(apiKeys.keyId, key.keyId));
        await notifyApiKeyChangedTx(tx, key.keyId);
        await appendAuditTx(tx, audit, {
          storeId: GLOBAL_AUDIT_STORE,
          action: "api_key.rotate",
          resourceType: "api_key",
          resourceId: key.keyId,
          before: apiKeyState(toRecord(row)),
          after: apiKeyState(toRecord(row)),
        });
        return "updated";
      });
    },
  };
}

function toRow(k: StoredApiKey) {
  return {
    keyId: k.keyId,
    name: k.name,
    secretHash: k.secretHash.toHex(),
    scopes: [...k.scopes].sort(),
    stores: k.stores === "*" ? [] : [...k.stores].sort(),
    allStores: k.stores === "*",
    expireTime: k.expiresAt,
    revoked: k.revoked,
    createdBy: k.createdBy,
    createTime: k.createTime,
  };
}

function toRecord(r: ApiKeyRow): ApiKeyRecord {
  const secretHash = parseDigest(r.secretHash);
  if (!secretHash) throw new TypeError(`api key ${r.keyId} has a malformed secret hash`);
  return {
    keyId: r.keyId,
    name: r.name,
    secretHash,
    scopes: parseScopes(r.scopes),
    stores: r.allStores ? "*" : new Set(r.stores),
    expiresAt: r.expireTime,
    revoked: r.revoked,
    revokeTime: r.revokeTime ?? undefined,
    createdBy: r.createdBy,
    createTime: r.createTime,
  };
}
