import { childPointer } from "../diff/json-pointer.js";
import { isCardNumber, mask, redactValues } from "./detectors.js";
import { KEY_MASK, type Redaction } from "./redaction.js";

export interface JsonPreviewOptions {
  /** Arrays longer than this keep their first items and end with "… N more items". */
  maxArrayItems: number;
  /** Undefined turns redaction off. */
  isSecretKey?: (key: string) => boolean;
}

/**
 * A display copy of a JSON value: long arrays elided, and (when redacting) values under secret
 * keys masked as "[REDACTED]" (null and "" are left alone) and detected values inside strings,
 * or card numbers stored as numbers, masked by kind. Reports each masked path and whether any
 * array was elided.
 */
export function previewJsonValue(value: unknown, opts: JsonPreviewOptions): { value: unknown; redactions: Redaction[]; elided: boolean } {
  const redactions: Redaction[] = [];
  let elided = false;
  const walk = (v: unknown, path: string): unknown => {
    if (typeof v === "string") {
      if (!opts.isSecretKey) return v;
      const r = redactValues(v);
      for (const kind of r.kinds) redactions.push({ path, reason: kind });
      return r.text;
    }
    if (typeof v === "number") {
      if (opts.isSecretKey && Number.isSafeInteger(v) && isCardNumber(String(v))) {
        redactions.push({ path, reason: "card" });
        return mask("card");
      }
      return v;
    }
    if (v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) {
      const kept = v.slice(0, opts.maxArrayItems).map((el, i) => walk(el, childPointer(path, i)));
      if (v.length > opts.maxArrayItems) {
        elided = true;
        const more = v.length - opts.maxArrayItems;
        kept.push(`… ${more} more item${more === 1 ? "" : "s"}`);
      }
      return kept;
    }
    const out: Record<string, unknown> = {};
    for (const [k, child] of Object.entries(v)) {
      const p = childPointer(path, k);
      let shown: unknown;
      if (opts.isSecretKey?.(k) && child !== null && child !== "") {
        redactions.push({ path: p, reason: "key" });
        shown = KEY_MASK;
      } else {
        shown = walk(child, p);
      }
      Object.defineProperty(out, k, { value: shown, enumerable: true, writable: true, configurable: true });
    }
    return out;
  };
  return { value: walk(value, ""), redactions, elided };
}
