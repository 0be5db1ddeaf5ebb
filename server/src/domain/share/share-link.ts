import type { Principal } from "../auth/principal.js";
import type { ShareTokenClaims } from "./share-token.js";

/** Route prefix for share links (to be confirmed by the HTTP layer). */
export const SHARE_ROUTE_PREFIX = "/v1/share/";

const TOKEN_RE = /^[A-Za-z0-9._-]+$/;
const DOWNLOAD_RE = /^\/v1\/share\/([A-Za-z0-9._-]+)\/download$/;

/** The download path for a signed token: `/v1/share/<token>/download`. Tokens are URL-safe as-is. */
export function shareDownloadPath(token: string): string {
  if (!TOKEN_RE.test(token)) throw new TypeError("not a share token");
  return `${SHARE_ROUTE_PREFIX}${token}/download`;
}

/** The token from a `/v1/share/<token>/download` path (query string ignored); undefined otherwise. */
export function parseShareDownloadPath(pathname: string): string | undefined {
  const q = pathname.indexOf("?");
  return DOWNLOAD_RE.exec(q < 0 ? pathname : pathname.slice(0, q))?.[1];
}

/**
 * The principal for a request authorized by a verified share token: `kind: 'share'`, `id` = share id,
 * `snapshot:read` on the token's store only. It is broader than the token (which names one snapshot
 * and maybe one path), so handlers serving share requests must keep checking against the claims
 * (`verifyShareToken` already did for the requested snapshot/path).
 */
export const sharePrincipal = (claims: ShareTokenClaims): Principal => ({
  id: claims.shareId,
  kind: "share",
  scopes: new Set(["snapshot:read"]),
  stores: new Set([claims.storeId]),
});
