import { createHash } from "node:crypto";
import { canonicalJson } from "./audit/canonical-json.js";
import { invalidField } from "./errors.js";

/** Page size rules shared by every List RPC: default 50, clamped to 1000, negative rejected. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

export function pageSizeOf(requested: number): number {
  if (requested < 0) throw invalidField("page_size", "must not be negative");
  if (requested === 0) return DEFAULT_PAGE_SIZE;
  return Math.min(requested, MAX_PAGE_SIZE);
}

/**
 * Opaque page tokens: base64url JSON of the keyset cursor plus a fingerprint of the request's
 * filters, so a token replayed with different filters is rejected instead of returning wrong pages.
 */
export function encodePageToken(cursor: Record<string, unknown>, filters: unknown): string {
  return Buffer.from(JSON.stringify({ c: cursor, f: fingerprint(filters) })).toString("base64url");
}

export function decodePageToken<C>(token: string, filters: unknown, parse: (c: unknown) => C | undefined): C | undefined {
  if (token === "") return undefined;
  let body: { c?: unknown; f?: unknown };
  try {
    body = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw invalidField("page_token", "is not a token this server issued");
  }
  const cursor = body && typeof body === "object" ? parse(body.c) : undefined;
  if (cursor === undefined) throw invalidField("page_token", "is not a token this server issued");
  if (body.f !== fingerprint(filters)) {
    throw invalidField("page_token", "was issued for different filters; repeat the original request fields");
  }
  return cursor;
}

function fingerprint(filters: unknown): string {
  return createHash("sha256").update(canonicalJson(filters)).digest("base64url").slice(0, 16);
}

/** Parses a {createTime, id} cursor; `idPattern` says what an id looks like (default: a UUID). */
export function parseTimeIdCursor(c: unknown, idPattern = /^[0-9a-f-]{36}$/): { createTime: Date; id: string } | undefined {
  if (!c || typeof c !== "object") return undefined;
  const { t, id } = c as { t?: unknown; id?: unknown };
  if (typeof t !== "string" || typeof id !== "string" || !idPattern.test(id)) return undefined;
  const createTime = new Date(t);
  return Number.isNaN(createTime.getTime()) ? undefined : { createTime, id };
}
