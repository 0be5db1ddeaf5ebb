import { sql as dsql } from "drizzle-orm";
import type postgres from "postgres";
import type { ApiKeyCache } from "../../domain/auth/api-key-cache.js";
import type { Tx } from "./audit-repo.js";

/** NOTIFY channel of API key changes (revocation, a rotated secret). The payload is the key id. */
export const API_KEY_CHANNEL = "vellum_api_keys";

/** Queues the change notification of `keyId` inside `tx`: PostgreSQL delivers it when `tx` commits. */
export async function notifyApiKeyChangedTx(tx: Tx, keyId: string): Promise<void> {
  await tx.execute(dsql`select pg_notify(${API_KEY_CHANNEL}, ${keyId})`);
}

/**
 * Keeps `cache` true across server processes: a notified key is invalidated, and the whole cache is
 * cleared whenever the channel is (re)established, since notifications sent while postgres.js's
 * LISTEN connection was down are lost. Resolves once listening; the returned function stops.
 */
export async function subscribeApiKeyChanges(sql: postgres.Sql, cache: Pick<ApiKeyCache, "invalidate" | "clear">): Promise<() => Promise<void>> {
  const sub = await sql.listen(API_KEY_CHANNEL, (keyId) => cache.invalidate(keyId), () => cache.clear());
  return async () => {
    await sub.unlisten().catch(() => undefined);
  };
}
