import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { ShareService } from "../../../gen/vellum/v1/share_service_pb.js";
import { requestFingerprint } from "../domain/audit/request-fingerprint.js";
import { rateLimitHeaders } from "../domain/ratelimit/rate-limit-headers.js";
import { rateLimitExceeded, type RateLimiter } from "../domain/ratelimit/rate-limiter.js";
import { shareDownloadPath } from "../domain/share/share-link.js";
import type { ShareUseCases } from "../domain/share/share-use-cases.js";
import { auditOf, clientIpKey, requestIdOf } from "./context.js";
import { snapshotToPb, ts } from "./convert.js";
import { toConnectError } from "./errors.js";
import { shareAccessFromPb, shareAccessToPb, shareToPb } from "./security-convert.js";

export interface ShareServiceDeps {
  shares: ShareUseCases;
  limiter: RateLimiter;
  /** Base URL for signed URLs (VELLUM_PUBLIC_URL); default: the origin the request was sent to. */
  publicUrl?: string;
  now?: () => number;
}

/**
 * Charges one use of a verified share link to its own read budget (principal `share:<id>` on the
 * link's store) and sets the rate-limit headers; RESOURCE_EXHAUSTED with RetryInfo when over it.
 */
export function chargeShareUse(limiter: RateLimiter, now: number, shareId: string, storeId: string): Record<string, string> {
  const result = limiter.take({ principalId: `share:${shareId}`, storeId, rateClass: "read" }, 1, now);
  const headers = rateLimitHeaders(result, now);
  if (!result.allowed) {
    const { error } = toConnectError(rateLimitExceeded(result));
    for (const [k, v] of Object.entries(headers)) error.metadata.set(k, v);
    throw error;
  }
  return headers;
}

/** ShareService. ResolveShare is public: the token is the credential and is verified here. */
export function createShareServiceImpl(deps: ShareServiceDeps): ServiceImpl<typeof ShareService> {
  const { shares } = deps;
  const now = deps.now ?? Date.now;
  const urlFor = (ctx: HandlerContext, token: string) => `${deps.publicUrl ?? new URL(ctx.url).origin}${shareDownloadPath(token)}`;
  return {
    async shareSnapshot(req, ctx) {
      const { share, token } = await shares.create(
        {
          storeId: req.storeId,
          snapshotId: req.snapshotId,
          expiresInSeconds: req.expiresInSeconds > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(req.expiresInSeconds),
          access: shareAccessFromPb(req.access),
          allowedIps: req.allowedIps,
          note: req.note,
          idempotencyKey: req.idempotencyKey,
          fingerprint: requestFingerprint(req, ["idempotencyKey"]).toHex(),
        },
        auditOf(ctx),
      );
      return { share: shareToPb(share), shareToken: token, signedUrl: urlFor(ctx, token) };
    },

    async resolveShare(req, ctx) {
      const { share, snapshot } = await shares.use(req.shareToken, {
        access: "READ",
        clientIp: ctx.values.get(clientIpKey) || undefined,
        requestId: requestIdOf(ctx),
        action: "share.resolve",
        detail: {},
        admit: ({ shareId, storeId }) => {
          const headers = chargeShareUse(deps.limiter, now(), shareId, storeId);
          for (const [k, v] of Object.entries(headers)) ctx.responseHeader.set(k, v);
        },
      });
      return {
        snapshot: snapshotToPb(snapshot),
        access: shareAccessToPb(share.access),
        expireTime: ts(share.expireTime),
        note: share.note,
        downloadUrl: share.access === "DOWNLOAD" ? urlFor(ctx, req.shareToken) : "",
      };
    },

    async revokeShare(req, ctx) {
      return { share: shareToPb(await shares.revoke(req.storeId, req.shareId, auditOf(ctx))) };
    },

    async listShares(req) {
      const page = await shares.list(
        { storeId: req.storeId, snapshotId: req.snapshotId || undefined, showInactive: req.showInactive },
        req.pageSize,
        req.pageToken,
      );
      return { shares: page.shares.map(shareToPb), nextPageToken: page.nextPageToken };
    },
  };
}

