import { createHash } from "node:crypto";
import { Sha256 } from "../digest.js";
import { canonicalJson, isPlainObject } from "./canonical-json.js";

/**
 * Fingerprint of a request body for idempotency: SHA-256 of the UTF-8 canonical JSON (see
 * `canonicalJson`) of `message`, minus the top-level keys in `omit` (e.g. the idempotency key or
 * request id fields themselves). Store it with the idempotency key; a retry with the same key but a
 * different fingerprint is "same key, different body" and should fail (ALREADY_EXISTS or
 * FAILED_PRECONDITION, the caller's choice).
 *
 * Key order, `undefined` properties and `Date`/`Uint8Array`/`bigint` encodings do not affect the
 * result beyond their canonical form. protobuf-es messages work as-is (their `$typeName` is included,
 * so equal bodies of different methods differ). For messages built with `create()`, default-valued
 * fields are present, so `{}` and `{ name: "" }` fingerprint differently only if built differently;
 * fingerprint messages as received from the wire for consistent results.
 *
 * @throws TypeError for values canonical JSON refuses (NaN, functions, Maps, cycles, ...).
 */
export function requestFingerprint(message: object, omit: readonly string[] = []): Sha256 {
  if (Array.isArray(message) || !isPlainObject(message)) throw new TypeError("request fingerprint needs a plain object");
  const source = message as Record<string, unknown>;
  const body: Record<string, unknown> = {};
  for (const key of Object.keys(source)) if (!omit.includes(key)) body[key] = source[key];
  return Sha256.fromBytes(createHash("sha256").update(canonicalJson(body), "utf8").digest());
}
