/**
 * Recognisers of secrets and personal data by their shape, wherever they appear in a string:
 * private-key PEM blocks, JWTs, URL userinfo, Bearer/Basic credentials, provider API keys, card
 * numbers (Luhn), IBANs (ISO 13616 checksum and national format, via ibantools), e-mail addresses
 * and phone numbers. Each returns the spans to mask; applySpans masks their union.
 */
import { getCountrySpecifications, isValidIBAN } from "ibantools";
import { API_KEY_PATTERNS } from "./api-key-patterns.js";
import type { Span, ValueKind } from "./spans.js";

/** Luhn checksum (ISO/IEC 7812) over a digit string. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/**
 * A payment card number: 15 to 19 digits (optionally grouped by single spaces or dashes), a
 * leading digit of a card network (2–6) and a valid Luhn checksum. 12–14 digit numbers are left
 * alone: that is where product barcodes (UPC, EAN-13, GTIN-14) live, a tenth of which pass Luhn.
 */
export function isCardNumber(candidate: string): boolean {
  const digits = candidate.replace(/[ -]/g, "");
  return /^[2-6]\d{14,18}$/.test(digits) && luhnValid(digits);
}

/** An IBAN in electronic ("DE89370400440532013000") or print ("DE89 3704 …") form. */
export function isIban(candidate: string): boolean {
  return isValidIBAN(candidate.replace(/ /g, "").toUpperCase());
}

/** Pushes the spans of the matches of `g` (a global RegExp) that `accept` keeps (all by default). */
const find = (text: string, g: RegExp, kind: ValueKind, out: Span[], accept?: (m: RegExpExecArray) => [number, number] | undefined) => {
  g.lastIndex = 0;
  for (let m = g.exec(text); m !== null; m = g.exec(text)) {
    if (m[0].length === 0) {
      g.lastIndex++;
      continue;
    }
    const range = accept ? accept(m) : [m.index, m.index + m[0].length];
    if (range) out.push({ start: range[0], end: range[1], reason: kind });
    // A rejected candidate may hide a shorter one that starts inside it.
    g.lastIndex = range ? Math.max(range[1], m.index + 1) : m.index + 1;
  }
};

/** Labels of PEM blocks that hold nothing secret (certificates, public keys, signatures). */
const PUBLIC_PEM = /^(?:(?:TRUSTED |NEW )?CERTIFICATE(?: REQUEST)?|X509 CRL|(?:RSA |EC |SSH2 |PGP )?PUBLIC KEY(?: BLOCK)?|PGP SIGNATURE|PKCS7|CMS)$/;
/** A PEM block to its END line, or to the end of the text when it has none (a cut block). */
const PEM = /-----BEGIN ([A-Z0-9 ]{1,64})-----[\s\S]*?(?:-----END [A-Z0-9 ]{1,64}-----|$)/g;
/** A JWS (header.payload.signature, the signature possibly empty) or a JWE (five parts). */
const JWT = /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)?/g;
/** scheme://userinfo@host: the userinfo is everything up to the last "@" of the authority. */
const USERINFO = /\b[A-Za-z][A-Za-z0-9+.-]{0,30}:(?:\\?\/){2}([^\s/\\?#"'<>@]+(?:@[^\s/\\?#"'<>@]+)*)@/g;
const AUTH = /\b(Bearer|Basic|Token|Bot)[ \t]+([A-Za-z0-9._~+/=-]{4,})/gi;
const API_KEYS = new RegExp(API_KEY_PATTERNS.map((r) => `(?:${r.source})`).join("|"), "g");
const EMAIL = /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}\b/g;
/** Runs of digit groups of at least three digits, separated by single spaces or dashes. */
const DIGIT_RUN = /(?<!\d)\d{3,}(?:[ -]\d{3,})*/g;
const PHONE = /(?<![\w+])(?:\+\d[\d ().-]{6,20}\d|\(\d{3}\) ?\d{3}[ .-]\d{4}|\d{3}[.-]\d{3}[.-]\d{4})(?!\w)/g;
const IBAN = /\b([A-Z]{2})\d{2}(?: ?[A-Z0-9]){10,32}/g;

const ibanLengths = new Map(
  Object.entries(getCountrySpecifications())
    .filter(([, spec]) => typeof spec.chars === "number")
    .map(([cc, spec]) => [cc, spec.chars as number]),
);

/** A Basic credential is base64 of "user:password". */
function isBasicCredential(b64: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return false;
  const decoded = Buffer.from(b64, "base64").toString("latin1");
  return decoded.includes(":") && /^[\x20-\x7e\u00a0-\u00ff]+$/.test(decoded);
}

/** Bearer/Token/Bot: an opaque token, not a word of prose ("Bearer bonds"). */
const isOpaqueToken = (t: string) => t.length >= 8 && (/[\d._~+/=-]/.test(t) || t.length >= 16);

/**
 * Card numbers in a run of digit groups ("order 1 4111 1111 1111 1111 12/25" holds one): from
 * each group on, the longest whole-group window of 15–19 digits that is a card number. A card
 * is written whole or in groups of at least three digits, so shorter groups end a window.
 */
function cardsInRun(run: string, at: number, out: Span[]): void {
  const starts: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < run.length; i++) {
    starts.push(i);
    while (i < run.length && run[i] !== " " && run[i] !== "-") i++;
    ends.push(i);
  }
  for (let g = 0; g < starts.length; g++) {
    if (run[starts[g]] < "2" || run[starts[g]] > "6") continue;
    let found = -1;
    let digits = "";
    for (let h = g; h < starts.length && digits.length + ends[h] - starts[h] <= 19; h++) {
      digits += run.slice(starts[h], ends[h]);
      if (digits.length >= 15 && luhnValid(digits)) found = h;
    }
    if (found >= 0) {
      out.push({ start: at + starts[g], end: at + ends[found], reason: "card" });
      g = found;
    }
  }
}

/** The spans of every recognised value in `text`. */
export function findValueSpans(text: string): Span[] {
  const out: Span[] = [];
  if (text.includes("-----BEGIN ")) {
    find(text, PEM, "pem", out, (m) => (PUBLIC_PEM.test(m[1]) ? undefined : [m.index, m.index + m[0].length]));
  }
  if (text.includes("eyJ")) find(text, JWT, "jwt", out);
  if (text.includes("@")) {
    const userinfo: Span[] = [];
    find(text, USERINFO, "userinfo", userinfo, (m) => [m.index + m[0].length - 1 - m[1].length, m.index + m[0].length - 1]);
    out.push(...userinfo);
    // "pw@db.example.com" in a URL's authority is userinfo and host, not an address.
    const inUserinfo = (at: number) => userinfo.some((u) => at >= u.start && at < u.end);
    find(text, EMAIL, "email", out, (m) => (inUserinfo(m.index) ? undefined : [m.index, m.index + m[0].length]));
  }
  if (/bearer|basic|token|bot/i.test(text)) {
    find(text, AUTH, "auth", out, (m) => {
      const basic = m[1].toLowerCase() === "basic";
      if (basic ? !isBasicCredential(m[2]) : !isOpaqueToken(m[2])) return undefined;
      return [m.index + m[0].length - m[2].length, m.index + m[0].length];
    });
  }
  find(text, API_KEYS, "apikey", out);
  if (/\d/.test(text)) {
    find(text, IBAN, "iban", out, (m) => {
      const len = ibanLengths.get(m[1]);
      if (len === undefined) return undefined;
      let end = m.index;
      for (let n = 0; n < len && end < text.length; end++) if (text[end] !== " ") n++;
      if (/[A-Za-z0-9]/.test(text[end] ?? "") || !isIban(text.slice(m.index, end))) return undefined;
      return [m.index, end];
    });
    for (const m of text.matchAll(DIGIT_RUN)) if (m[0].length >= 15) cardsInRun(m[0], m.index, out);
    find(text, PHONE, "phone", out, (m) => {
      if (!m[0].startsWith("+")) return [m.index, m.index + m[0].length];
      const digits = m[0].replace(/\D/g, "").length;
      return digits >= 8 && digits <= 15 ? [m.index, m.index + m[0].length] : undefined;
    });
  }
  return out;
}
