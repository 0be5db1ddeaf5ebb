import type { RedactionReason } from "../redaction/index.js";

export type { RedactionReason } from "../redaction/index.js";

/**
 * One masked value: `path` is a JSON Pointer for JSON content (in any preview kind), `line:N`
 * (1-based) for other text, or `member:<name as shown>` for tar.
 */
export interface Redaction {
  path: string;
  reason: RedactionReason;
}
