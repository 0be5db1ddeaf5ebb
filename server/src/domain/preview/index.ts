/**
 * PreviewSnapshot engine: a lightweight, truncated, sanitized rendering of snapshot content for
 * UIs. Pure: the RPC layer fetches the bytes (at most what it is willing to read) and picks the kind.
 */
import { readTar } from "../diff/tar-read.js";
import { invalidField } from "../errors.js";
import { DEFAULT_KEY_PATTERNS, keyMatcher, type KeyPattern } from "./key-patterns.js";
import { previewBinary } from "./preview-binary.js";
import { previewJsonValue } from "./preview-json.js";
import { previewTarMembers, type TarPreviewMember } from "./preview-tar.js";
import { previewText } from "./preview-text.js";
import type { Redaction } from "./redaction.js";
import { truncateUtf8 } from "./truncate.js";

export { DEFAULT_KEY_PATTERNS, keyMatcher, type KeyPattern } from "./key-patterns.js";
export { isCardNumber, luhnValid, redactValues, type DetectorKind } from "./detectors.js";
export type { Redaction, RedactionReason } from "./redaction.js";
export type { TarPreviewMember } from "./preview-tar.js";

export type PreviewKind = "json" | "text" | "tar" | "binary";

export interface PreviewOptions {
  /** Upper bound on the UTF-8 size of `text` (1 B – 16 MiB, default 64 KiB). */
  maxBytes?: number;
  /** Mask secrets and personal data (default true). */
  redact?: boolean;
  /** Key patterns that mask a value; replaces DEFAULT_KEY_PATTERNS (spread those to extend them). */
  keyPatterns?: readonly KeyPattern[];
  /** JSON arrays keep this many items, then "… N more items" (default 20). */
  maxArrayItems?: number;
  /** Text previews show at most this many lines (default 200). */
  maxLines?: number;
  /** Tar previews list at most this many members (default 1000). */
  maxMembers?: number;
}

export interface Preview {
  /** What `text` renders: `json` content that does not parse is previewed as `text`. */
  kind: PreviewKind;
  mediaType: "application/json" | "text/plain";
  /** The preview, at most `maxBytes` bytes of UTF-8, cut on a character boundary. */
  text: string;
  /** True when anything was left out: bytes, lines, array items or tar members. */
  truncated: boolean;
  /** Each masked value, in document order. */
  redactions: Redaction[];
  /** The distinct paths of `redactions`. */
  redactedPaths: string[];
  /** Size of the whole content. */
  totalBytes: number;
  /** Tar only: the listed members. */
  members?: TarPreviewMember[];
  /** Remarks for the UI, e.g. that JSON content did not parse. */
  notes: string[];
}

function positiveInt(field: string, value: number | undefined, def: number, max: number): number {
  const v = value ?? def;
  if (!Number.isInteger(v) || v < 1 || v > max) throw invalidField(field, `must be an integer from 1 to ${max}`);
  return v;
}

/**
 * Renders a preview of `content` as `kind`:
 * - json: pretty-printed (two-space indent) with long arrays elided;
 * - text: the first lines;
 * - tar: the member list;
 * - binary: size, SHA-256, recognised format (and a hex dump only when not redacting).
 * Redaction is on by default: values under keys matching the key patterns become "[REDACTED]",
 * and credit-card numbers (Luhn), JWTs, PEM blocks, emails and phone numbers inside any string
 * become "[REDACTED:<kind>]". Redaction happens before the byte cut, so a cut never exposes part
 * of a secret. Throws InvalidArgument for bad options; unreadable tar content fails with
 * FailedPrecondition INVALID_TAR.
 */
export async function preview(content: Uint8Array, kind: PreviewKind, opts: PreviewOptions = {}): Promise<Preview> {
  const maxBytes = positiveInt("max_bytes", opts.maxBytes, 64 * 1024, 16 * 1024 * 1024);
  const maxArrayItems = positiveInt("max_array_items", opts.maxArrayItems, 20, 100_000);
  const maxLines = positiveInt("max_lines", opts.maxLines, 200, 1_000_000);
  const maxMembers = positiveInt("max_members", opts.maxMembers, 1000, 1_000_000);
  const redact = opts.redact ?? true;
  const isSecretKey = redact ? keyMatcher(opts.keyPatterns ?? DEFAULT_KEY_PATTERNS) : undefined;
  const notes: string[] = [];

  const finish = (k: PreviewKind, body: string, cut: boolean, redactions: Redaction[], extra: Partial<Preview> = {}): Preview => {
    const t = truncateUtf8(body, maxBytes);
    return {
      kind: k,
      mediaType: k === "json" ? "application/json" : "text/plain",
      text: t.text,
      truncated: cut || t.truncated,
      redactions,
      redactedPaths: [...new Set(redactions.map((r) => r.path))],
      totalBytes: content.length,
      notes,
      ...extra,
    };
  };

  const asText = () => {
    const decoded = new TextDecoder("utf-8").decode(content.subarray(0, maxBytes * 4 + 4096));
    const r = previewText(decoded, { maxLines, maxChars: maxBytes + 4096, isSecretKey });
    return finish("text", r.text, r.cut || content.length > maxBytes * 4 + 4096, r.redactions);
  };

  switch (kind) {
    case "json": {
      let parsed: unknown;
      try {
        parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(content));
      } catch {
        notes.push("content is not valid UTF-8 JSON; shown as text");
        return asText();
      }
      const r = previewJsonValue(parsed, { maxArrayItems, isSecretKey });
      return finish("json", `${JSON.stringify(r.value, null, 2)}\n`, r.elided, r.redactions);
    }
    case "text":
      return asText();
    case "tar": {
      const r = previewTarMembers(await readTar(content, { keepContentBytes: 0 }), { maxMembers, redact });
      return finish("tar", r.text, r.cut, r.redactions, { members: r.members });
    }
    case "binary":
      return finish("binary", previewBinary(content, { redact }), false, []);
  }
}
