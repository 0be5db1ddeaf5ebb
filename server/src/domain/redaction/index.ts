/**
 * The redaction engine: one set of recognisers for every place that shows content with secrets
 * masked. JSON is redacted as a document (redactJsonValue) and rendered afterwards; text is
 * redacted by finding spans (keyed pairs and value shapes) and masking their union.
 */
import { redactJsonValue, type JsonHit, type JsonRedactOptions } from "./redact-json.js";
import { DEFAULT_KEY_PATTERNS, keyMatcher, type KeyPattern } from "./sensitive-keys.js";
import { applySpans, type TextHit } from "./spans.js";
import { findKeyedSpans } from "./text-pairs.js";
import { findValueSpans } from "./value-recognisers.js";

export { MAX_JSON_DEPTH, parseJson, parseJsonPrefix, TOO_DEEP, type JsonPrefix } from "./json-prefix.js";
export type { JsonHit, JsonRedactOptions } from "./redact-json.js";
export { DEFAULT_KEY_PATTERNS, keyMatcher, keyWords, type KeyPattern } from "./sensitive-keys.js";
export { KEY_MASK, valueMask, type RedactionReason, type TextHit, type ValueKind } from "./spans.js";
export { isCardNumber, isIban, luhnValid } from "./value-recognisers.js";

export interface Redactor {
  isSecretKey(key: string): boolean;
  /** Masks keyed values and recognised values in free text; hits are offsets into `text`. */
  text(text: string): { text: string; hits: TextHit[] };
  /** Masks recognised values only: for names (JSON member names) that are not followed by a value. */
  values(text: string): { text: string; hits: TextHit[] };
  /** The redacted copy of a parsed JSON value (see redactJsonValue). */
  json(value: unknown, opts?: JsonRedactOptions): { value: unknown; hits: JsonHit[]; elided: boolean };
}

/** A redactor whose sensitive keys are `keyPatterns` (default DEFAULT_KEY_PATTERNS). */
export function createRedactor(opts: { keyPatterns?: readonly KeyPattern[] } = {}): Redactor {
  const isSecretKey = keyMatcher(opts.keyPatterns ?? DEFAULT_KEY_PATTERNS);
  const text = (s: string) => applySpans(s, [...findKeyedSpans(s, isSecretKey), ...findValueSpans(s)]);
  const values = (s: string) => applySpans(s, findValueSpans(s));
  return {
    isSecretKey,
    text,
    values,
    json: (value, o) => redactJsonValue(value, { isSecretKey, text, name: values }, o),
  };
}
