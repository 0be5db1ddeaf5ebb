/**
 * Key patterns for redaction. A string pattern matches a key whose normalised form (lowercase,
 * letters and digits only: "API-Key", "api_key" and "apiKey" all read "apikey") contains the
 * pattern's normalised form. A RegExp is tested against the raw key.
 */
export type KeyPattern = string | RegExp;

/** The default patterns: credentials, contact details and payment or identity numbers. */
export const DEFAULT_KEY_PATTERNS: readonly KeyPattern[] = Object.freeze([
  "password",
  "passwd",
  "passphrase",
  /^pwd$|_pwd$/i,
  "secret",
  "token",
  "apikey",
  "accesskey",
  "privatekey",
  "authorization",
  "credential",
  "cookie",
  "sessionid",
  "email",
  "phone",
  "cardnumber",
  "cardnum",
  "cardno",
  "creditcard",
  /^(credit_?)?card$/i,
  "cvv",
  "cvc",
  "iban",
  /^ssn$|social_?security/i,
  "taxid",
  "passport",
]);

const normalise = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, "");

/** A predicate over object keys (or `key=value` names in text) built from `patterns`. */
export function keyMatcher(patterns: readonly KeyPattern[]): (key: string) => boolean {
  const subs = patterns.filter((p): p is string => typeof p === "string").map(normalise).filter((p) => p.length > 0);
  const regexes = patterns.filter((p): p is RegExp => p instanceof RegExp).map((r) => new RegExp(r.source, r.flags.replace(/[gy]/g, "")));
  return (key) => {
    const n = normalise(key);
    return subs.some((s) => n.includes(s)) || regexes.some((r) => r.test(key));
  };
}
