/**
 * Structural redaction of a parsed JSON value. The result has the same shape as the input: the
 * same member names (a name is masked only when it is itself a recognised value), arrays of the
 * same length (unless elided with a "… N more items" marker), and each masked value replaced by a
 * fixed marker.
 * - Under a sensitive member name everything is masked, whatever its shape: strings and numbers
 *   become "[REDACTED]" at every depth; arrays keep their length and objects their field names
 *   (a name that is not a field name, such as a token used as a key, is masked too). Only null,
 *   booleans and "" (no secret to hide) stay.
 * - Elsewhere strings go through the text redactor (keyed pairs and value recognisers, also in
 *   multi-line strings), and integers that may be card numbers are masked.
 */
import { childPointer } from "../diff/json-pointer.js";
import { MAX_JSON_DEPTH, TOO_DEEP } from "./json-prefix.js";
import { isFieldName } from "./sensitive-keys.js";
import { KEY_MASK, valueMask, type RedactionReason, type TextHit } from "./spans.js";
import { isCardNumber } from "./value-recognisers.js";

export interface JsonHit {
  /** JSON Pointer of the masked value, with member names as shown. */
  path: string;
  reason: RedactionReason;
}

export interface JsonRedactDeps {
  isSecretKey: (key: string) => boolean;
  /** Redacts a string value. */
  text: (s: string) => { text: string; hits: TextHit[] };
  /** Redacts a member name (value recognisers only). */
  name: (s: string) => { text: string; hits: TextHit[] };
}

/**
 * A number that may be a payment card number: a safe integer that passes the card check, or an
 * integer of 15–19 digits beyond 2^53, whose digits JSON.parse no longer holds exactly.
 */
function maybeCard(v: number): boolean {
  if (!Number.isInteger(v)) return false;
  if (Number.isSafeInteger(v)) return isCardNumber(String(Math.abs(v)));
  return Math.abs(v) < 1e19;
}

export interface JsonRedactOptions {
  /** Arrays longer than this keep their first items, then "… N more items". */
  maxArrayItems?: number;
  /**
   * Once the strings, numbers and names written out add up to this many characters, the rest of
   * every open array and object is elided (a rendering of them is at least that long, so a
   * preview cut to that size loses nothing): the work is bounded by what can be shown.
   */
  maxOutputChars?: number;
}

/**
 * The redacted copy of `value` (without `deps`, an unredacted copy); arrays longer than
 * `maxArrayItems` keep their first items, values deeper than MAX_JSON_DEPTH are left out, and
 * nothing past `maxOutputChars` is visited.
 */
export function redactJsonValue(
  value: unknown,
  deps: JsonRedactDeps | undefined,
  opts: JsonRedactOptions = {},
): { value: unknown; hits: JsonHit[]; elided: boolean } {
  const hits: JsonHit[] = [];
  const maxItems = opts.maxArrayItems ?? Number.POSITIVE_INFINITY;
  const budget = opts.maxOutputChars ?? Number.POSITIVE_INFINITY;
  let spent = 0;
  let elided = false;
  let masked = 0;
  const more = (n: number, what: string) => `… ${n} more ${what}${n === 1 ? "" : "s"}`;

  const items = (v: unknown[], path: string, depth: number, under: boolean) => {
    const kept: unknown[] = [];
    const end = Math.min(v.length, maxItems);
    for (let i = 0; i < end && spent <= budget; i++) kept.push(walk(v[i], childPointer(path, i), depth + 1, under));
    if (kept.length < v.length) {
      elided = true;
      kept.push(more(v.length - kept.length, "item"));
    }
    return kept;
  };

  const members = (v: Record<string, unknown>, path: string, depth: number, under: boolean) => {
    const out: Record<string, unknown> = {};
    const keys = Object.keys(v);
    for (let i = 0; i < keys.length; i++) {
      if (spent > budget) {
        elided = true;
        if (!Object.hasOwn(out, "…")) out["…"] = more(keys.length - i, "member");
        break;
      }
      const k = keys[i];
      const child = v[k];
      const shown = !deps ? { text: k, hits: [] } : under && !isFieldName(k) ? { text: KEY_MASK, hits: [] } : deps.name(k);
      spent += shown.text.length + 4;
      let name = shown.text;
      for (let n = 2; Object.hasOwn(out, name); n++) name = `${shown.text} (${n})`;
      const p = childPointer(path, name);
      for (const h of shown.hits) hits.push({ path: p, reason: h.reason });
      let shownValue: unknown;
      if (!under && deps?.isSecretKey(k)) {
        const before = masked;
        const at = hits.length;
        shownValue = walk(child, p, depth + 1, true);
        if (masked > before) hits.splice(at, 0, { path: p, reason: "key" });
      } else {
        shownValue = walk(child, p, depth + 1, under);
      }
      Object.defineProperty(out, name, { value: shownValue, enumerable: true, writable: true, configurable: true });
    }
    return out;
  };

  // `spent` never exceeds the length of the pretty rendering: 2 for a value's line break and
  // indent (or comma), 2 for a string's quotes, 4 for a name's quotes, colon and space.
  const walk = (v: unknown, path: string, depth: number, under: boolean): unknown => {
    spent += 2;
    if (depth > MAX_JSON_DEPTH) {
      elided = true;
      return TOO_DEEP;
    }
    if (typeof v === "string") {
      if (under) {
        if (v === "") return v;
        masked++;
        spent += KEY_MASK.length + 2;
        return KEY_MASK;
      }
      const r = deps ? deps.text(v) : { text: v, hits: [] };
      for (const h of r.hits) hits.push({ path, reason: h.reason });
      spent += r.text.length + 2;
      return r.text;
    }
    if (typeof v === "number") {
      if (under) {
        masked++;
        spent += KEY_MASK.length + 2;
        return KEY_MASK;
      }
      if (deps && maybeCard(v)) {
        hits.push({ path, reason: "card" });
        spent += valueMask("card").length + 2;
        return valueMask("card");
      }
      spent += String(v).length;
      return v;
    }
    if (v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) return items(v, path, depth, under);
    return members(v as Record<string, unknown>, path, depth, under);
  };

  return { value: walk(value, "", 0, false), hits, elided };
}
