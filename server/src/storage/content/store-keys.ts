import { eq } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { storeKeys } from "../db/schema/index.js";
import { createStoreDataKey, type Kms } from "../engine/kms.js";

/**
 * Per-store data keys: created on first use, stored wrapped by the KMS, cached unwrapped in memory
 * for the life of the process. Concurrent first uses agree on one key (insert-or-read).
 */
export function createStoreKeys(db: Db, kms: Kms) {
  const cache = new Map<string, Promise<Uint8Array>>();

  async function load(storeId: string, create: boolean): Promise<Uint8Array | undefined> {
    const [row] = await db.select().from(storeKeys).where(eq(storeKeys.storeId, storeId));
    if (row) return kms.unwrap(row.wrappedKey);
    if (!create) return undefined;
    const fresh = await createStoreDataKey(kms);
    await db
      .insert(storeKeys)
      .values({ storeId, kmsKeyId: fresh.wrapped.kmsKeyId, wrappedKey: fresh.wrapped.wrappedKey })
      .onConflictDoNothing();
    return load(storeId, false);
  }

  return {
    kmsKeyId: kms.keyId,
    /** The store's data key, creating it if the store has none. */
    getOrCreate(storeId: string): Promise<Uint8Array> {
      let p = cache.get(storeId);
      if (!p) {
        p = load(storeId, true) as Promise<Uint8Array>;
        cache.set(storeId, p);
        p.catch(() => cache.delete(storeId));
      }
      return p;
    },
    /** The store's data key if it has one (reading plaintext-only stores needs none). */
    async find(storeId: string): Promise<Uint8Array | undefined> {
      const cached = cache.get(storeId);
      if (cached) return cached;
      const key = await load(storeId, false);
      if (key) cache.set(storeId, Promise.resolve(key));
      return key;
    },
  };
}

export type StoreKeys = ReturnType<typeof createStoreKeys>;
