import { redactJsonValue } from "../redaction/redact-json.js";
import type { Redactor } from "../redaction/index.js";
import type { Redaction } from "./redaction.js";

/**
 * A JSON preview: the document, redacted as a document when a redactor is given, with arrays
 * longer than `maxArrayItems` elided, pretty-printed (two-space indent) from the redacted copy.
 * Nothing past what a preview of `maxBytes` can show is visited.
 */
export function previewJsonValue(
  value: unknown,
  opts: { maxArrayItems: number; maxBytes: number; redactor?: Redactor },
): { text: string; redactions: Redaction[]; elided: boolean } {
  const o = { maxArrayItems: opts.maxArrayItems, maxOutputChars: opts.maxBytes };
  const r = opts.redactor ? opts.redactor.json(value, o) : redactJsonValue(value, undefined, o);
  return { text: `${JSON.stringify(r.value, null, 2)}\n`, redactions: r.hits, elided: r.elided };
}
