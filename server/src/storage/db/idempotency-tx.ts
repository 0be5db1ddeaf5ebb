import { and, eq, gte, lt } from "drizzle-orm";
import { alreadyExists } from "../../domain/errors.js";
import type { Db } from "./client.js";
import type { Tx } from "./audit-repo.js";
import { idempotencyKeys } from "./schema/index.js";

/** Idempotency keys are remembered for 24 hours. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;

export interface IdempotencyClaim {
  storeId: string;
  method: string;
  key: string;
  fingerprint: string;
  resultId: string;
  now: Date;
}

/**
 * Claims an idempotency key inside the transaction that creates the result. Returns undefined when
 * this transaction now owns the key; the earlier result's id when a committed request with the same
 * fingerprint owns it (the caller must then roll back its own insert). Concurrent first attempts
 * serialise on the primary key: the loser waits for the winner to commit, then sees its row.
 *
 * @throws ALREADY_EXISTS (IDEMPOTENCY_KEY_REUSED) when the key was used with a different fingerprint.
 */
export async function claimIdempotencyTx(tx: Tx, c: IdempotencyClaim): Promise<string | undefined> {
  const where = and(eq(idempotencyKeys.storeId, c.storeId), eq(idempotencyKeys.method, c.method), eq(idempotencyKeys.key, c.key));
  // Expired keys are forgotten first.
  await tx.delete(idempotencyKeys).where(and(where, lt(idempotencyKeys.expireTime, c.now)));
  const claimed = await tx
    .insert(idempotencyKeys)
    .values({
      storeId: c.storeId,
      method: c.method,
      key: c.key,
      fingerprint: c.fingerprint,
      resultId: c.resultId,
      createTime: c.now,
      expireTime: new Date(c.now.getTime() + IDEMPOTENCY_TTL_MS),
    })
    .onConflictDoNothing()
    .returning({ resultId: idempotencyKeys.resultId });
  if (claimed.length > 0) return undefined;
  const [hit] = await tx.select().from(idempotencyKeys).where(where);
  if (hit.fingerprint !== c.fingerprint) {
    throw alreadyExists("idempotency_key was already used with a different request", "IDEMPOTENCY_KEY_REUSED");
  }
  return hit.resultId;
}

/** A live (unexpired) claim, read outside any transaction. */
export async function findIdempotency(
  db: Db,
  storeId: string,
  method: string,
  key: string,
  now: Date,
): Promise<{ fingerprint: string; resultId: string } | undefined> {
  const [hit] = await db
    .select()
    .from(idempotencyKeys)
    .where(
      and(
        eq(idempotencyKeys.storeId, storeId),
        eq(idempotencyKeys.method, method),
        eq(idempotencyKeys.key, key),
        gte(idempotencyKeys.expireTime, now),
      ),
    );
  return hit && { fingerprint: hit.fingerprint, resultId: hit.resultId };
}

/** Thrown inside a transaction to roll it back when an earlier request's result is replayed. */
export class Replayed extends Error {
  constructor(readonly resultId: string) {
    super("idempotent replay");
  }
}
