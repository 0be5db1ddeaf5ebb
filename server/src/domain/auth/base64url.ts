const ALPHABET_RE = /^[A-Za-z0-9_-]*$/;

/** Unpadded base64url (RFC 4648 §5) encoding. */
export const encodeBase64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64url");

/**
 * Strict unpadded base64url decoding: returns undefined for padding, characters outside the alphabet
 * or non-canonical trailing bits (Node's own decoder silently ignores all three, which would let one
 * token have several spellings).
 */
export function decodeBase64url(s: string): Buffer | undefined {
  if (!ALPHABET_RE.test(s) || s.length % 4 === 1) return undefined;
  const bytes = Buffer.from(s, "base64url");
  return bytes.toString("base64url") === s ? bytes : undefined;
}
