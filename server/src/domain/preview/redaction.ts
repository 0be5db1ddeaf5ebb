import type { DetectorKind } from "./detectors.js";

/** Why a value was masked: a key pattern (`key`) or a value detector. */
export type RedactionReason = "key" | DetectorKind;

/** One masked value: `path` is a JSON Pointer, `line:N` (1-based) for text, or `member:<name>` for tar. */
export interface Redaction {
  path: string;
  reason: RedactionReason;
}

/** The placeholder for a value masked because of its key. */
export const KEY_MASK = "[REDACTED]";
