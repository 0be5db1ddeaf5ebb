/**
 * Sensitive keys: the one list of names whose values are masked whatever they hold (object
 * members in JSON, `name=value` / `name: value` pairs and tags in text).
 *
 * A key is compared in two forms, so that case and separators do not matter:
 * - normalised: lowercase letters and digits only ("API-Key", "api_key" and "apiKey" read "apikey");
 *   a string pattern matches a key whose normalised form contains the pattern's normalised form;
 * - words: lowercase words joined by "_" ("refreshTokens" reads "refresh_tokens", "X-Auth-Token"
 *   "x_auth_token", "APIKey" "api_key"); a RegExp pattern is tested against this form, which is
 *   how short names ("auth", "pwd", "pin") match as whole words and not inside "author" or "spin".
 */
export type KeyPattern = string | RegExp;

/** Credentials, session material, contact details and payment or identity numbers. */
export const DEFAULT_KEY_PATTERNS: readonly KeyPattern[] = Object.freeze([
  // Credentials and keys.
  "password",
  "passwd",
  "passphrase",
  "secret", // client_secret, secret_key, webhook_secret, ...
  "token", // access_token, refresh_tokens, id_token, ...
  "apikey",
  "accesskey",
  "privatekey",
  "secretkey",
  "signingkey",
  "encryptionkey",
  "masterkey",
  "accountkey",
  "licensekey",
  "authorization",
  "credential",
  "cookie",
  "sessionid",
  "sessionkey",
  /(^|_)(auth|pwd|pw|pass|pin|otp|session|sessions|bearer|jwt)(_|$)/,
  // Contact details.
  "email",
  "phone",
  // Payment and identity numbers.
  "cardnumber",
  "cardnum",
  "cardno",
  "creditcard",
  /^(credit_)?card$/,
  "cvv",
  "cvc",
  "iban",
  /(^|_)ssn(_|$)|social_security/,
  "taxid",
  "passport",
]);

/** "refreshTokens" -> "refresh_tokens", "APIKey" -> "api_key", "X-Auth-Token" -> "x_auth_token". */
export function keyWords(key: string): string {
  return key
    .replace(/(\p{Ll}|\p{N})(\p{Lu})/gu, "$1_$2")
    .replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, "$1_$2")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, "_")
    .replace(/^_+|_+$/g, "");
}

/**
 * A name that reads as a field name (words of letters joined by `_`, `-`, `.` or spaces, or in
 * camelCase, at most 40 characters) rather than as data used as a key (a token, a session id, an
 * address). Under a sensitive key only field names stay visible.
 */
export const isFieldName = (name: string) => name.length <= 40 && /^[A-Za-z]+(?:[_\-. ][A-Za-z]+)*$/.test(name);

const normalise = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, "");

/** A predicate over key names built from `patterns` (see the module comment for how they match). */
export function keyMatcher(patterns: readonly KeyPattern[]): (key: string) => boolean {
  const subs = patterns.filter((p): p is string => typeof p === "string").map(normalise).filter((p) => p.length > 0);
  const regexes = patterns.filter((p): p is RegExp => p instanceof RegExp).map((r) => new RegExp(r.source, r.flags.replace(/[gy]/g, "")));
  const cache = new Map<string, boolean>();
  return (key) => {
    let hit = cache.get(key);
    if (hit === undefined) {
      const n = normalise(key);
      const words = regexes.length > 0 ? keyWords(key) : "";
      hit = subs.some((s) => n.includes(s)) || regexes.some((r) => r.test(words));
      if (cache.size < 10_000) cache.set(key, hit);
    }
    return hit;
  };
}
