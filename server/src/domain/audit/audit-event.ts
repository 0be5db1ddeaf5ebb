import { createHash } from "node:crypto";
import { Sha256 } from "../digest.js";
import type { Principal } from "../auth/principal.js";
import { canonicalJson } from "./canonical-json.js";

/**
 * One entry of a store's append-only audit log. Events of a store form a hash chain: `seq` runs
 * 1, 2, 3, ... without gaps, each event's `prevHash` is the previous event's `hash` (the first
 * event's is `genesisHash()`), and `hash = computeAuditHash(event, prevHash)`.
 *
 * `before` and `after` are the resource state around the change (null when there is none, e.g. before
 * a create). They must be JSON values that survive the storage round trip unchanged: no bigint above
 * 2^53 (store int64 as strings), no NaN, no Maps.
 */
export interface AuditEvent {
  readonly id: string;
  readonly storeId: string;
  /** Position in the store's chain, starting at 1. */
  readonly seq: number;
  /** Who acted, normally `auditActor(principal)`. */
  readonly actor: string;
  /** What happened, e.g. "snapshot.create", "snapshot.delete", "api_key.revoke". */
  readonly action: string;
  readonly resourceType: string;
  readonly resourceId: string;
  readonly before: unknown;
  readonly after: unknown;
  readonly requestId: string;
  /** Millisecond precision is hashed (`toISOString`). */
  readonly time: Date;
  readonly prevHash: Sha256;
  readonly hash: Sha256;
}

/** Fields supplied by the caller; `seq`, `prevHash` and `hash` are derived by `nextAuditEvent`. */
export type AuditEventDraft = Omit<AuditEvent, "seq" | "prevHash" | "hash">;

/** Hash format version, part of every hashed payload. */
export const AUDIT_HASH_VERSION = 1;

/** `prevHash` of the first event in every chain: 32 zero bytes (64 `0` hex characters). */
export const genesisHash = (): Sha256 => Sha256.fromBytes(new Uint8Array(32));

/** Stable actor string for a principal: `<kind>:<id>`, e.g. `api_key:1f2e...`, `jwt:user@example.com`. */
export const auditActor = (principal: Pick<Principal, "kind" | "id">): string => `${principal.kind}:${principal.id}`;

/**
 * The event's hash: SHA-256 over the UTF-8 bytes of the canonical JSON (see `canonicalJson`, RFC 8785
 * key order) of
 * `{ v: 1, id, storeId, seq, actor, action, resourceType, resourceId, before, after, requestId,
 *    time: <ISO 8601 string>, prevHash: <lowercase hex> }`
 * with `before`/`after` of `undefined` hashed as `null`. Any field present in the event other than
 * these (including a `prevHash` or `hash` on the object) is ignored; the link is the `prevHash` argument.
 */
export function computeAuditHash(event: Omit<AuditEvent, "hash" | "prevHash">, prevHash: Sha256): Sha256 {
  const payload = canonicalJson({
    v: AUDIT_HASH_VERSION,
    id: event.id,
    storeId: event.storeId,
    seq: event.seq,
    actor: event.actor,
    action: event.action,
    resourceType: event.resourceType,
    resourceId: event.resourceId,
    before: event.before ?? null,
    after: event.after ?? null,
    requestId: event.requestId,
    time: event.time.toISOString(),
    prevHash: prevHash.toHex(),
  });
  return Sha256.fromBytes(createHash("sha256").update(payload, "utf8").digest());
}

/**
 * Builds the event that follows `prev` (or the first event of the store when `prev` is undefined).
 * Callers must read `prev` and insert the result in one transaction that also locks the store's chain
 * head, so two writers cannot both append seq N.
 */
export function nextAuditEvent(
  prev: Pick<AuditEvent, "storeId" | "seq" | "hash"> | undefined,
  draft: AuditEventDraft,
): AuditEvent {
  if (prev && prev.storeId !== draft.storeId) throw new TypeError("audit chain is per store: storeId differs from prev");
  const seq = prev ? prev.seq + 1 : 1;
  const prevHash = prev ? prev.hash : genesisHash();
  const withSeq = { ...draft, seq };
  return { ...withSeq, prevHash, hash: computeAuditHash(withSeq, prevHash) };
}
