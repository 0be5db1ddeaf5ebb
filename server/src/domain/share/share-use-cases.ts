import type { AuditContext } from "../audit/audit-context.js";
import { decodeBase64url } from "../auth/base64url.js";
import { failedPrecondition, notFound } from "../errors.js";
import { decodePageToken, encodePageToken, pageSizeOf, parseTimeIdCursor } from "../paging.js";
import type { Snapshot } from "../snapshots/types.js";
import { IDEMPOTENCY_KEY_RE, Validator } from "../validate.js";
import { parseCidr } from "./ip-cidr.js";
import { signShareToken, verifyShareToken, type ShareAccess, type ShareSigningKey, type ShareTokenClaims } from "./share-token.js";

/** A stored share link (the token is derived from it, never stored). */
export interface ShareRecord {
  readonly id: string;
  readonly storeId: string;
  readonly snapshotId: string;
  readonly access: ShareAccess;
  readonly allowedIps: readonly string[];
  readonly note: string;
  /** Signing key id the link was created with. */
  readonly kid: string;
  readonly createdBy: string;
  readonly createTime: Date;
  /** Whole seconds: the token's `exp` is this instant. */
  readonly expireTime: Date;
  readonly revoked: boolean;
  readonly revokeTime?: Date;
  readonly useCount: number;
  readonly lastUseTime?: Date;
}

/** Audit state of a share link. */
export const shareState = (s: ShareRecord) => ({
  shareId: s.id,
  snapshotId: s.snapshotId,
  access: s.access,
  allowedIps: [...s.allowedIps],
  note: s.note,
  expireTime: s.expireTime.toISOString(),
  revoked: s.revoked,
});

/** Persistence of share links; every method that changes something writes its audit event. */
export interface ShareRepository {
  /**
   * Inserts the link with a `share.create` event. With an idempotency key claimed earlier by the same
   * request body, nothing is inserted and the earlier link is returned (`replayed`); a different body
   * fails ALREADY_EXISTS.
   */
  insert(share: ShareRecord, opts: { audit: AuditContext; idempotency?: { key: string; fingerprint: string } }): Promise<{ share: ShareRecord; replayed: boolean }>;
  get(storeId: string, id: string): Promise<ShareRecord | undefined>;
  /** Lookup by id alone, for revocation checks of verified tokens. */
  findById(id: string): Promise<ShareRecord | undefined>;
  /** Marks the link revoked (if not already) with a `share.revoke` event; undefined when absent. */
  revoke(storeId: string, id: string, now: Date, audit: AuditContext): Promise<ShareRecord | undefined>;
  /** Counts one use and writes its audit event (`share.resolve`, `share.download`) in one transaction. */
  recordUse(share: ShareRecord, action: string, detail: Record<string, unknown>, now: Date, audit: AuditContext): Promise<void>;
  /** Newest first; `activeAt` keeps only unrevoked links that have not expired by then. */
  list(
    filter: { storeId: string; snapshotId?: string; activeAt?: Date },
    limit: number,
    after?: { createTime: Date; id: string },
  ): Promise<ShareRecord[]>;
}

export interface ShareUseCasesDeps {
  readonly shares: ShareRepository;
  readonly snapshots: { get(storeId: string, id: string): Promise<Snapshot | undefined> };
  /** Signs new links; also the only key that verifies (rotate by restarting with a new secret). */
  readonly key: ShareSigningKey;
  readonly now: () => Date;
  readonly newId: () => string;
}

export const DEFAULT_SHARE_SECONDS = 86_400;
export const MAX_SHARE_SECONDS = 30 * 86_400;
export const MAX_SHARE_IPS = 32;
export const MAX_SHARE_NOTE = 1024;

export interface ShareInput {
  storeId: string;
  snapshotId: string;
  expiresInSeconds: number;
  access?: ShareAccess;
  allowedIps: readonly string[];
  note: string;
  idempotencyKey: string;
  /** Fingerprint of the request body without the idempotency key. */
  fingerprint: string;
}

/** Verification outcome of a share token. */
export interface VerifiedShare {
  claims: ShareTokenClaims;
  share: ShareRecord;
  snapshot: Snapshot;
}

/** The claims of a token as written, without checking anything; only trust them after verification. */
function peekClaims(token: string): Partial<ShareTokenClaims> | undefined {
  const payload = token.split(".")[2];
  const bytes = payload === undefined ? undefined : decodeBase64url(payload);
  try {
    const parsed: unknown = bytes ? JSON.parse(bytes.toString("utf8")) : undefined;
    return parsed && typeof parsed === "object" ? (parsed as Partial<ShareTokenClaims>) : undefined;
  } catch {
    return undefined;
  }
}

export function createShareUseCases(deps: ShareUseCasesDeps) {
  const { shares, snapshots } = deps;

  const tokenOf = (s: ShareRecord): string =>
    signShareToken(
      {
        shareId: s.id,
        storeId: s.storeId,
        snapshotId: s.snapshotId,
        access: s.access,
        exp: Math.floor(s.expireTime.getTime() / 1000),
        ...(s.allowedIps.length ? { ips: [...s.allowedIps] } : {}),
      },
      deps.key,
    );

  async function liveSnapshot(storeId: string, snapshotId: string): Promise<Snapshot> {
    const s = await snapshots.get(storeId, snapshotId);
    if (!s) throw notFound("snapshot", snapshotId);
    if (s.state !== "ACTIVE") throw failedPrecondition("snapshot is deleted", "SNAPSHOT_DELETED");
    return s;
  }

  return {
    tokenOf,

    /** Creates a link to an ACTIVE snapshot; a replay returns the original link and token. */
    async create(input: ShareInput, audit: AuditContext): Promise<{ share: ShareRecord; token: string }> {
      const v = new Validator();
      v.storeId("store_id", input.storeId);
      v.uuid("snapshot_id", input.snapshotId);
      if (!Number.isSafeInteger(input.expiresInSeconds) || input.expiresInSeconds < 0 || input.expiresInSeconds > MAX_SHARE_SECONDS) {
        v.add("expires_in_seconds", `must be between 0 (default ${DEFAULT_SHARE_SECONDS}) and ${MAX_SHARE_SECONDS}`);
      }
      if (input.access === undefined) v.add("access", "is required: READ or DOWNLOAD");
      if (input.allowedIps.length > MAX_SHARE_IPS) v.add("allowed_ips", `must have at most ${MAX_SHARE_IPS} entries`);
      input.allowedIps.forEach((ip, i) => {
        if (ip !== ip.trim() || parseCidr(ip) === undefined) v.add(`allowed_ips[${i}]`, "must be an IPv4/IPv6 address or CIDR with zero host bits");
      });
      v.maxLength("note", input.note, MAX_SHARE_NOTE);
      if (input.idempotencyKey && !IDEMPOTENCY_KEY_RE.test(input.idempotencyKey)) {
        v.add("idempotency_key", "must be 1-128 printable ASCII characters");
      }
      v.throwIfAny();
      const snapshot = await liveSnapshot(input.storeId, input.snapshotId.toLowerCase());
      const now = deps.now();
      const nowSec = Math.floor(now.getTime() / 1000);
      const record: ShareRecord = {
        id: deps.newId(),
        storeId: input.storeId,
        snapshotId: snapshot.id,
        access: input.access!,
        allowedIps: [...input.allowedIps],
        note: input.note,
        kid: deps.key.kid,
        createdBy: audit.actor,
        createTime: now,
        expireTime: new Date((nowSec + (input.expiresInSeconds || DEFAULT_SHARE_SECONDS)) * 1000),
        revoked: false,
        useCount: 0,
      };
      const idempotency = input.idempotencyKey ? { key: input.idempotencyKey, fingerprint: input.fingerprint } : undefined;
      const { share } = await shares.insert(record, { audit, idempotency });
      return { share, token: tokenOf(share) };
    },

    /**
     * Verifies a token for one use and records the use (count + audit event `action`, actor
     * `share:<id>`). `admit` runs once the token is known authentic, unexpired and allowed from the
     * client's address, before the revocation lookup: the place for per-share rate limits.
     *
     * @throws UNAUTHENTICATED / PERMISSION_DENIED with a SHARE_* reason (see `verifyShareToken`);
     *   NOT_FOUND when the snapshot was purged; FAILED_PRECONDITION when it was deleted.
     */
    async use(
      token: string,
      opts: {
        access: ShareAccess;
        clientIp?: string;
        requestId: string;
        action: string;
        detail: Record<string, unknown>;
        admit?: (claims: { shareId: string; storeId: string }) => void;
      },
    ): Promise<VerifiedShare> {
      const peek = peekClaims(token);
      const now = deps.now();
      let found: ShareRecord | undefined;
      const claims = await verifyShareToken(token, [deps.key], {
        now,
        clientIp: opts.clientIp,
        request: { snapshotId: typeof peek?.snapshotId === "string" ? peek.snapshotId : "", access: opts.access },
        isRevoked: async (shareId) => {
          // Reached only for authentic tokens, so the peeked store is the signed one.
          opts.admit?.({ shareId, storeId: String(peek?.storeId) });
          found = await shares.findById(shareId);
          return !found || found.revoked;
        },
      });
      // The row read by the revocation check, when it is the signed store's (repo.get's condition).
      const share = found?.storeId === claims.storeId ? found : undefined;
      if (!share) throw notFound("share", claims.shareId);
      const snapshot = await liveSnapshot(claims.storeId, claims.snapshotId);
      await shares.recordUse(share, opts.action, { clientIp: opts.clientIp ?? "", ...opts.detail }, now, {
        actor: `share:${share.id}`,
        requestId: opts.requestId,
      });
      return { claims, share, snapshot };
    },

    async revoke(storeId: string, shareId: string, audit: AuditContext): Promise<ShareRecord> {
      const v = new Validator();
      v.storeId("store_id", storeId);
      v.uuid("share_id", shareId);
      v.throwIfAny();
      const after = await shares.revoke(storeId, shareId.toLowerCase(), deps.now(), audit);
      if (!after) throw notFound("share", shareId);
      return after;
    },

    async list(filter: { storeId: string; snapshotId?: string; showInactive: boolean }, pageSize: number, pageToken: string) {
      const v = new Validator();
      v.storeId("store_id", filter.storeId);
      if (filter.snapshotId) v.uuid("snapshot_id", filter.snapshotId);
      v.throwIfAny();
      const size = pageSizeOf(pageSize);
      const after = decodePageToken(pageToken, filter, parseTimeIdCursor);
      const rows = await shares.list(
        { storeId: filter.storeId, snapshotId: filter.snapshotId?.toLowerCase(), activeAt: filter.showInactive ? undefined : deps.now() },
        size + 1,
        after,
      );
      const items = rows.slice(0, size);
      const last = items[items.length - 1];
      return {
        shares: items,
        nextPageToken: rows.length > size && last ? encodePageToken({ t: last.createTime.toISOString(), id: last.id }, filter) : "",
      };
    },
  };
}

export type ShareUseCases = ReturnType<typeof createShareUseCases>;
