/**
 * The one place where Cloud Storage SDK errors become BlobStore port errors (kopia's
 * `translateError`). Port errors pass through unchanged.
 *
 * | vendor error                                   | port error        |
 * | ---------------------------------------------- | ----------------- |
 * | HTTP 404                                       | BlobNotFound      |
 * | HTTP 412 (ifGenerationMatch: 0 failed), 409    | BlobAlreadyExists |
 * | HTTP 416                                       | BlobInvalidRange  |
 * | HTTP 408, 429, 5xx, network/socket errors, any | BlobUnavailable   |
 * | other failure (auth, 400, integrity mismatch)  |                   |
 *
 * The vendor error is kept as `cause` (never in the message) so logs can show it.
 */
import { BlobError, blobAlreadyExists, blobNotFound, blobUnavailable, isBlobError } from "./blob-store.js";

export function translateError(e: unknown, key: string): BlobError {
  if (isBlobError(e)) return e;
  const status = httpStatus(e);
  if (status === 404) return withCause(blobNotFound(key), e);
  if (status === 412 || status === 409) return withCause(blobAlreadyExists(key), e);
  if (status === 416) return new BlobError("BlobInvalidRange", key, `requested range not satisfiable for blob ${key}`, { cause: e });
  return blobUnavailable(key, e);
}

/**
 * The HTTP status carried by an SDK error: `ApiError.code` (number) for JSON API failures, or
 * `status`/`response.status` for gaxios errors. Undefined for socket errors (string codes).
 */
export function httpStatus(e: unknown): number | undefined {
  if (typeof e !== "object" || e === null) return undefined;
  const o = e as { code?: unknown; status?: unknown; response?: { status?: unknown } };
  for (const v of [o.code, o.status, o.response?.status]) {
    if (typeof v === "number" && v >= 100 && v <= 599) return v;
    if (typeof v === "string" && /^[1-5]\d\d$/.test(v)) return Number(v);
  }
  return undefined;
}

function withCause(err: BlobError, cause: unknown): BlobError {
  return new BlobError(err.name, err.key, err.message, { cause });
}
