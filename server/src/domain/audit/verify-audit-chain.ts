import type { Sha256 } from "../digest.js";
import { computeAuditHash, genesisHash, type AuditEvent } from "./audit-event.js";

export type AuditChainFailure =
  /** An event belongs to another store than the first event of the range. */
  | "STORE_MISMATCH"
  /** `seq` is not a positive safe integer. */
  | "BAD_SEQ"
  /** The expected seq is missing (an event was deleted). */
  | "SEQ_GAP"
  /** Events are not in ascending seq order, or a seq repeats. */
  | "SEQ_OUT_OF_ORDER"
  /** `prevHash` differs from the previous event's `hash` (or from the anchor/genesis). */
  | "PREV_HASH_MISMATCH"
  /** The stored `hash` differs from the recomputed one (a field was modified). */
  | "HASH_MISMATCH"
  /**
   * The trusted checkpoint is missing from the range (newest events were deleted) or its hash differs
   * (the chain was rewritten with recomputed hashes).
   */
  | "CHECKPOINT_MISMATCH";

/**
 * Outcome of a verification. `checked` counts the events verified before the first failure (all of
 * them on success). On failure `firstBadSeq` is the lowest seq whose integrity could not be
 * established; every seq below it verified, so `firstBadSeq = startSeq + checked` where `startSeq` is
 * 1 or `after.seq + 1`.
 */
export type AuditChainResult =
  | { ok: true; checked: number }
  | { ok: false; checked: number; firstBadSeq: number; reason: AuditChainFailure };

/** A trusted (seq, hash) pair: seq 0 with `genesisHash()` stands for "before the first event". */
export interface AuditChainAnchor {
  readonly seq: number;
  readonly hash: Sha256;
}

export interface VerifyAuditChainOptions {
  /** The range starts right after this trusted event. Default: the chain start (seq 0, genesis). */
  readonly after?: AuditChainAnchor;
  /**
   * A trusted (seq, hash) recorded out of band when that event was written (e.g. the chain head kept in
   * a separately secured place or an external log); the range must contain it with that hash. Without
   * one, deleting the newest events, or rewriting the chain with recomputed hashes, cannot be detected:
   * a hash chain alone only proves internal consistency. Must lie after `after`.
   */
  readonly checkpoint?: AuditChainAnchor;
}

export interface AuditChainVerifier {
  /** Checks the next event; returns false (and ignores further events) once the chain is broken. */
  push(event: AuditEvent): boolean;
  /** Final result, including the checkpoint-present check. */
  finish(): AuditChainResult;
}

/**
 * Incremental verifier for chains too long to hold in memory; feed events in ascending seq order.
 * Checks per event, in order: store, seq (positive integer, exactly previous + 1), `prevHash` link,
 * recomputed `hash`.
 */
export function createAuditChainVerifier(options: VerifyAuditChainOptions = {}): AuditChainVerifier {
  const start = options.after ?? { seq: 0, hash: genesisHash() };
  const { checkpoint } = options;
  if (checkpoint && checkpoint.seq <= start.seq) throw new TypeError("audit checkpoint must lie after the range start");
  let expectedSeq = start.seq + 1;
  let prevHash = start.hash;
  let storeId: string | undefined;
  let checked = 0;
  let failure: AuditChainResult | undefined;
  const fail = (reason: AuditChainFailure): false => {
    failure = { ok: false, checked, firstBadSeq: expectedSeq, reason };
    return false;
  };

  return {
    push(event) {
      if (failure) return false;
      storeId ??= event.storeId;
      if (event.storeId !== storeId) return fail("STORE_MISMATCH");
      if (!Number.isSafeInteger(event.seq) || event.seq < 1) return fail("BAD_SEQ");
      if (event.seq > expectedSeq) return fail("SEQ_GAP");
      if (event.seq < expectedSeq) return fail("SEQ_OUT_OF_ORDER");
      if (!event.prevHash.equals(prevHash)) return fail("PREV_HASH_MISMATCH");
      if (!computeAuditHash(event, event.prevHash).equals(event.hash)) return fail("HASH_MISMATCH");
      if (checkpoint && event.seq === checkpoint.seq && !event.hash.equals(checkpoint.hash)) {
        // Internally consistent but not the chain that was checkpointed: nothing up to here is trusted.
        failure = { ok: false, checked: 0, firstBadSeq: start.seq + 1, reason: "CHECKPOINT_MISMATCH" };
        return false;
      }
      checked++;
      expectedSeq++;
      prevHash = event.hash;
      return true;
    },
    finish() {
      if (failure) return failure;
      if (checkpoint && checkpoint.seq >= expectedSeq) {
        return { ok: false, checked, firstBadSeq: expectedSeq, reason: "CHECKPOINT_MISMATCH" };
      }
      return { ok: true, checked };
    },
  };
}

/**
 * Verifies events given in seq order. Detects modified fields (HASH_MISMATCH), deleted events
 * (SEQ_GAP), reordered or duplicated events (SEQ_OUT_OF_ORDER; a seq that appears later in the input
 * is reported as out of order rather than missing), broken links (PREV_HASH_MISMATCH), mixed stores,
 * and, given a `checkpoint`, truncation or wholesale rewrite (CHECKPOINT_MISMATCH).
 */
export function verifyAuditChain(events: readonly AuditEvent[], options: VerifyAuditChainOptions = {}): AuditChainResult {
  const verifier = createAuditChainVerifier(options);
  for (let i = 0; i < events.length; i++) {
    if (verifier.push(events[i])) continue;
    const result = verifier.finish();
    if (!result.ok && result.reason === "SEQ_GAP" && events.slice(i + 1).some((e) => e.seq === result.firstBadSeq)) {
      return { ...result, reason: "SEQ_OUT_OF_ORDER" };
    }
    return result;
  }
  return verifier.finish();
}

/** Read port for stored audit events (implemented over Postgres by the storage layer). */
export interface AuditEventReader {
  /** Up to `limit` events of the store with `seq > afterSeq`, ascending by seq. */
  listAfter(storeId: string, afterSeq: number, limit: number): Promise<AuditEvent[]>;
}

/**
 * Verifies a store's whole stored chain page by page (`pageSize` events per read, default 1000),
 * holding one page in memory at a time.
 */
export async function verifyStoredAuditChain(
  reader: AuditEventReader,
  storeId: string,
  options: { pageSize?: number; checkpoint?: AuditChainAnchor } = {},
): Promise<AuditChainResult> {
  const pageSize = options.pageSize ?? 1000;
  const verifier = createAuditChainVerifier({ checkpoint: options.checkpoint });
  let afterSeq = 0;
  for (;;) {
    const page = await reader.listAfter(storeId, afterSeq, pageSize);
    for (const event of page) {
      if (!verifier.push(event)) return verifier.finish();
      afterSeq = event.seq;
    }
    if (page.length < pageSize) return verifier.finish();
  }
}
