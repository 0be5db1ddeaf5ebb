import { createHmac, timingSafeEqual } from "node:crypto";
import { canonicalJson } from "../audit/canonical-json.js";
import { decodeBase64url, encodeBase64url } from "../auth/base64url.js";
import { DomainError, invalidField } from "../errors.js";
import { cidrContains, parseCidr, parseIp } from "./ip-cidr.js";

/** READ: view metadata and listings. DOWNLOAD: READ plus fetching content. */
export type ShareAccess = "READ" | "DOWNLOAD";

/** What a share link grants. Signed into the token; the server keeps the share row for revocation. */
export interface ShareTokenClaims {
  readonly shareId: string;
  readonly storeId: string;
  readonly snapshotId: string;
  readonly access: ShareAccess;
  /** Expiry, unix seconds; the token is rejected from this second on. */
  readonly exp: number;
  /** Optional client allowlist: IPv4/IPv6 CIDRs or bare addresses (at most 32). */
  readonly ips?: readonly string[];
  /**
   * Optional restriction to one path inside the snapshot: a file (`docs/a.txt`) or, ending in `/`, a
   * directory and everything below it (`docs/`). Absent: the whole snapshot.
   */
  readonly path?: string;
}

/** An HMAC key with an id, so old keys can keep verifying while new tokens use a new one. */
export interface ShareSigningKey {
  /** 1-32 characters of [A-Za-z0-9_-]; embedded in every token. */
  readonly kid: string;
  /** At least 32 bytes. */
  readonly secret: Uint8Array;
}

/** What the request is trying to do with the token. */
export interface ShareAccessRequest {
  readonly snapshotId: string;
  /** When given, must equal the token's store. */
  readonly storeId?: string;
  /** The path being accessed inside the snapshot; required when the token is path-restricted. */
  readonly path?: string;
  readonly access: ShareAccess;
}

export interface VerifyShareOptions {
  readonly now: Date;
  /** The client's address as seen by the server (after trusted-proxy handling). */
  readonly clientIp?: string;
  readonly request: ShareAccessRequest;
  /** Revocation port: true when the share was revoked or deleted. Called only for otherwise valid tokens. */
  readonly isRevoked: (shareId: string) => Promise<boolean>;
}

export type ShareRejection =
  | "SHARE_TOKEN_MALFORMED"
  | "SHARE_TOKEN_KEY_UNKNOWN"
  | "SHARE_TOKEN_SIGNATURE_INVALID"
  | "SHARE_TOKEN_EXPIRED"
  | "SHARE_REVOKED"
  | "SHARE_RESOURCE_MISMATCH"
  | "SHARE_ACCESS_INSUFFICIENT"
  | "SHARE_IP_DENIED";

const VERSION = "v1";
const KID_RE = /^[A-Za-z0-9_-]{1,32}$/;
const MAX_TOKEN_LENGTH = 4096;
const MAX_IPS = 32;

const unauth = (reason: ShareRejection, message: string) => new DomainError("Unauthenticated", message, { reason });
const denied = (reason: ShareRejection, message: string) => new DomainError("PermissionDenied", message, { reason });

function checkKey(key: ShareSigningKey): void {
  if (!KID_RE.test(key.kid)) throw new TypeError("share key id must be 1-32 characters of [A-Za-z0-9_-]");
  if (key.secret.length < 32) throw new TypeError("share key secret must be at least 32 bytes");
}

const mac = (secret: Uint8Array, signingInput: string) => createHmac("sha256", secret).update(signingInput, "utf8").digest();

const badPath = (p: string) => p.length === 0 || p.startsWith("/") || p.split("/").some((seg) => seg === "." || seg === "..");

/** Field problems in `claims`, or undefined when they are valid. Field names are the claim names. */
function claimsProblem(c: Record<string, unknown>): { field: string; description: string } | undefined {
  for (const f of ["shareId", "storeId", "snapshotId"] as const) {
    if (typeof c[f] !== "string" || (c[f] as string).length === 0) return { field: f, description: "must be a non-empty string" };
  }
  if (c.access !== "READ" && c.access !== "DOWNLOAD") return { field: "access", description: "must be READ or DOWNLOAD" };
  if (!Number.isSafeInteger(c.exp) || (c.exp as number) <= 0) return { field: "exp", description: "must be positive unix seconds" };
  if (c.ips !== undefined) {
    if (!Array.isArray(c.ips) || c.ips.length > MAX_IPS) return { field: "ips", description: `must be a list of at most ${MAX_IPS} CIDRs` };
    const bad = c.ips.find((ip) => typeof ip !== "string" || parseCidr(ip) === undefined);
    if (bad !== undefined) return { field: "ips", description: "contains an invalid CIDR (host bits must be zero)" };
  }
  if (c.path !== undefined && (typeof c.path !== "string" || badPath(c.path))) {
    return { field: "path", description: "must be a relative path without . or .. segments" };
  }
  const known = new Set(["shareId", "storeId", "snapshotId", "access", "exp", "ips", "path"]);
  const extra = Object.keys(c).find((k) => !known.has(k));
  return extra === undefined ? undefined : { field: extra, description: "unknown claim" };
}

/**
 * Signs claims into `v1.<kid>.<payload>.<sig>`: `payload` is unpadded base64url of the claims'
 * canonical JSON, `sig` is unpadded base64url HMAC-SHA-256 over `v1.<kid>.<payload>` with the key's
 * secret. The token is URL-safe. The claims are readable by anyone holding the token (not encrypted).
 *
 * @throws INVALID_ARGUMENT for invalid claims; TypeError for an invalid key.
 */
export function signShareToken(claims: ShareTokenClaims, key: ShareSigningKey): string {
  checkKey(key);
  const problem = claimsProblem(claims as unknown as Record<string, unknown>);
  if (problem) throw invalidField(problem.field, problem.description);
  const signingInput = `${VERSION}.${key.kid}.${encodeBase64url(Buffer.from(canonicalJson(claims), "utf8"))}`;
  return `${signingInput}.${encodeBase64url(mac(key.secret, signingInput))}`;
}

/**
 * Verifies a share token for one access. Checks, in order: syntax and known `kid`, signature (constant
 * time), claims, expiry (`now >= exp`), requested store/snapshot/path, access level, client IP, and
 * finally revocation (the only I/O).
 *
 * @param keys every key that may have signed live tokens (current and previous).
 * @returns the verified claims.
 * @throws UNAUTHENTICATED (malformed, unknown key, bad signature, expired, revoked) or
 *   PERMISSION_DENIED (other snapshot/store/path, READ token used to download, client IP not allowed),
 *   with a `SHARE_*` reason. Messages never include the token.
 */
export async function verifyShareToken(
  token: string,
  keys: readonly ShareSigningKey[],
  options: VerifyShareOptions,
): Promise<ShareTokenClaims> {
  keys.forEach(checkKey);
  const parts = token.length <= MAX_TOKEN_LENGTH ? token.split(".") : [];
  if (parts.length !== 4 || parts[0] !== VERSION || !KID_RE.test(parts[1])) {
    throw unauth("SHARE_TOKEN_MALFORMED", "malformed share token");
  }
  const [, kid, payloadB64, sigB64] = parts;
  const key = keys.find((k) => k.kid === kid);
  if (!key) throw unauth("SHARE_TOKEN_KEY_UNKNOWN", "share token was signed with an unknown key");
  const presented = decodeBase64url(sigB64);
  const expected = mac(key.secret, `${VERSION}.${kid}.${payloadB64}`);
  if (!presented || presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    throw unauth("SHARE_TOKEN_SIGNATURE_INVALID", "share token signature is invalid");
  }

  const claims = decodeClaims(payloadB64);
  if (options.now.getTime() >= claims.exp * 1000) throw unauth("SHARE_TOKEN_EXPIRED", "share link has expired");

  const { request } = options;
  if (request.snapshotId !== claims.snapshotId || (request.storeId !== undefined && request.storeId !== claims.storeId)) {
    throw denied("SHARE_RESOURCE_MISMATCH", "share link does not grant access to this snapshot");
  }
  if (claims.path !== undefined && !pathCovered(claims.path, request.path)) {
    throw denied("SHARE_RESOURCE_MISMATCH", "share link does not grant access to this path");
  }
  if (request.access === "DOWNLOAD" && claims.access !== "DOWNLOAD") {
    throw denied("SHARE_ACCESS_INSUFFICIENT", "share link does not allow downloads");
  }
  if (claims.ips !== undefined && !ipAllowed(claims.ips, options.clientIp)) {
    throw denied("SHARE_IP_DENIED", "share link is not valid from this network address");
  }
  if (await options.isRevoked(claims.shareId)) throw unauth("SHARE_REVOKED", "share link has been revoked");
  return claims;
}

function decodeClaims(payloadB64: string): ShareTokenClaims {
  const bytes = decodeBase64url(payloadB64);
  let parsed: unknown;
  try {
    parsed = bytes ? JSON.parse(bytes.toString("utf8")) : undefined;
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed) || claimsProblem(parsed as Record<string, unknown>)) {
    throw unauth("SHARE_TOKEN_MALFORMED", "malformed share token");
  }
  return parsed as ShareTokenClaims;
}

/** A file claim covers exactly that path; a directory claim (`dir/`) covers everything below it. */
function pathCovered(claim: string, requested: string | undefined): boolean {
  if (requested === undefined || badPath(requested)) return false;
  return claim.endsWith("/") ? requested.startsWith(claim) : requested === claim;
}

function ipAllowed(ips: readonly string[], clientIp: string | undefined): boolean {
  const addr = clientIp === undefined ? undefined : parseIp(clientIp);
  if (!addr) return false;
  return ips.some((c) => {
    const cidr = parseCidr(c);
    return cidr !== undefined && cidrContains(cidr, addr);
  });
}
