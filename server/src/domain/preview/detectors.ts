/**
 * Value detectors: find secrets and personal data inside any string and mask them as
 * `[REDACTED:<kind>]`. Detectors run in a fixed order (PEM, JWT, email, card, phone); the masks
 * contain no digits or `@`, so no detector matches another's output.
 */
export type DetectorKind = "pem" | "jwt" | "email" | "card" | "phone";

export const mask = (kind: DetectorKind) => `[REDACTED:${kind}]`;

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

const PEM = /-----BEGIN [A-Z0-9 ]{1,64}-----[\s\S]*?(?:-----END [A-Z0-9 ]{1,64}-----|$)/g;
const JWT = /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*/g;
const EMAIL = /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}\b/g;
const CARD = /(?<![\d-])\d(?:[ -]?\d){14,18}(?![\d-])/g;
const PHONE = /(?<![\w+])(?:\+\d[\d ().-]{6,20}\d|\(\d{3}\) ?\d{3}[ .-]\d{4}|\d{3}[.-]\d{3}[.-]\d{4})(?!\w)/g;

const phoneOk = (m: string) => {
  if (!m.startsWith("+")) return true;
  const digits = m.replace(/\D/g, "").length;
  return digits >= 8 && digits <= 15;
};

export interface DetectionResult {
  text: string;
  /** Kinds found, in detector order, each once. */
  kinds: DetectorKind[];
}

/** Masks every detected value in `text`; returns the text unchanged (same string) when nothing matched. */
export function redactValues(text: string): DetectionResult {
  const kinds: DetectorKind[] = [];
  let out = text;
  const run = (kind: DetectorKind, re: RegExp, accept: (m: string) => boolean = () => true) => {
    let hit = false;
    out = out.replace(re, (m) => {
      if (!accept(m)) return m;
      hit = true;
      return mask(kind);
    });
    if (hit) kinds.push(kind);
  };
  if (out.includes("-----BEGIN ")) run("pem", PEM);
  if (out.includes("eyJ")) run("jwt", JWT);
  if (out.includes("@")) run("email", EMAIL);
  if (/\d/.test(out)) {
    run("card", CARD, isCardNumber);
    run("phone", PHONE, phoneOk);
  }
  return { text: kinds.length > 0 ? out : text, kinds };
}
