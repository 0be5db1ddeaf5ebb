import { DomainError } from "../errors.js";
import { looksLikeApiKey } from "./api-key.js";

/**
 * Request headers as either a Fetch `Headers` (connect's `req.header`) or Node's
 * `IncomingHttpHeaders`-style record. Record lookups are case-insensitive.
 */
export type HeaderSource = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

/** A credential found in the headers, not yet verified. */
export type PresentedCredential = { kind: "api_key"; key: string } | { kind: "bearer"; token: string };

export type CredentialRejection = "CREDENTIALS_MALFORMED" | "CREDENTIALS_UNSUPPORTED" | "CREDENTIALS_AMBIGUOUS";

const reject = (reason: CredentialRejection, message: string) =>
  new DomainError("Unauthenticated", message, { reason });

const BEARER_RE = /^bearer +([^\s]+) *$/i;

/**
 * Finds the request's credential:
 * - `authorization: Bearer <token>` → an API key when the token starts with `vk_`, else a JWT;
 * - `x-api-key: <key>` → an API key.
 * Returns undefined when neither header is present.
 *
 * @throws UNAUTHENTICATED with reason CREDENTIALS_AMBIGUOUS (both headers, or a header repeated),
 *   CREDENTIALS_UNSUPPORTED (an authorization scheme other than Bearer) or CREDENTIALS_MALFORMED (an
 *   empty or unparsable value). Messages never contain header values.
 */
export function extractCredential(headers: HeaderSource): PresentedCredential | undefined {
  const authorization = single(headers, "authorization");
  const apiKey = single(headers, "x-api-key");
  if (authorization !== undefined && apiKey !== undefined) {
    throw reject("CREDENTIALS_AMBIGUOUS", "send either authorization or x-api-key, not both");
  }
  if (apiKey !== undefined) {
    const key = apiKey.trim();
    if (key.length === 0 || /\s/.test(key)) throw reject("CREDENTIALS_MALFORMED", "malformed x-api-key header");
    return { kind: "api_key", key };
  }
  if (authorization === undefined) return undefined;
  const value = authorization.trim();
  const m = BEARER_RE.exec(value);
  if (!m) {
    if (/^bearer\b/i.test(value)) throw reject("CREDENTIALS_MALFORMED", "malformed bearer credential");
    throw reject("CREDENTIALS_UNSUPPORTED", "unsupported authorization scheme; use Bearer");
  }
  const token = m[1];
  return looksLikeApiKey(token) ? { kind: "api_key", key: token } : { kind: "bearer", token };
}

/** The header's single value; undefined when absent; throws when it is repeated. */
function single(headers: HeaderSource, name: string): string | undefined {
  let value: string | readonly string[] | undefined;
  if (headers instanceof Headers) {
    value = headers.get(name) ?? undefined;
  } else {
    const values = Object.keys(headers)
      .filter((k) => k.toLowerCase() === name)
      .map((k) => headers[k])
      .filter((v) => v !== undefined);
    if (values.length > 1) throw reject("CREDENTIALS_AMBIGUOUS", `repeated ${name} header`);
    value = values[0];
  }
  if (Array.isArray(value)) {
    if (value.length > 1) throw reject("CREDENTIALS_AMBIGUOUS", `repeated ${name} header`);
    value = value[0];
  }
  return value as string | undefined;
}
