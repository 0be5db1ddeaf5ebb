/**
 * PreviewSnapshot engine: a lightweight, truncated, redacted rendering of snapshot content for
 * UIs. Pure: callers read the bytes (renderPreview takes what each kind needs; preview takes the
 * whole content). Every kind redacts with the one redaction engine (../redaction).
 */
import { readTar, type TarMember } from "../diff/tar-read.js";
import { digestOf } from "../digest.js";
import { invalidField } from "../errors.js";
import { createRedactor, parseJson, type JsonPrefix, type KeyPattern, type Redactor } from "../redaction/index.js";
import { HEX_BYTES, previewBinary } from "./preview-binary.js";
import { previewJsonValue } from "./preview-json.js";
import { previewTarMembers, type TarPreviewMember } from "./preview-tar.js";
import { previewText } from "./preview-text.js";
import type { Redaction } from "./redaction.js";
import { truncateUtf8 } from "./truncate.js";

export { DEFAULT_KEY_PATTERNS, keyMatcher, type KeyPattern } from "../redaction/index.js";
export type { Redaction, RedactionReason } from "./redaction.js";
export type { TarPreviewMember } from "./preview-tar.js";
export { HEX_BYTES } from "./preview-binary.js";

export type PreviewKind = "json" | "text" | "tar" | "binary";

export interface PreviewOptions {
  /** Upper bound on the UTF-8 size of `text` (1 B – 16 MiB, default 64 KiB). */
  maxBytes?: number;
  /** Mask secrets and personal data (default true). */
  redact?: boolean;
  /** Sensitive key patterns; replace DEFAULT_KEY_PATTERNS (spread those to extend them). */
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
  /** Each masked value, in document order (at most MAX_LISTED_REDACTIONS). */
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

/** What each kind is rendered from. */
export type PreviewSource =
  /** A whole JSON document. */
  | { kind: "json"; content: Uint8Array }
  /** The first textHeadBytes(maxBytes) bytes of the content, or all of it (`complete`). */
  | { kind: "text"; head: Uint8Array; complete: boolean }
  /** The members of a tar archive (`complete` false: only those within a scanned prefix). */
  | { kind: "tar"; members: TarMember[]; complete: boolean }
  /** Recorded size and SHA-256, and the first HEX_BYTES bytes. */
  | { kind: "binary"; size: number; sha256: string; head: Uint8Array };

/** Redactions listed in one preview; more are counted in a note. */
export const MAX_LISTED_REDACTIONS = 1000;

/**
 * Bytes of text read for a text preview of at most `maxBytes`: a margin above it, so that values
 * masked to short markers still leave `maxBytes` to show.
 */
export const textHeadBytes = (maxBytes: number) => maxBytes * 4 + 4096;

const defaultRedactor = createRedactor();

function positiveInt(field: string, value: number | undefined, def: number, max: number): number {
  const v = value ?? def;
  if (!Number.isInteger(v) || v < 1 || v > max) throw invalidField(field, `must be an integer from 1 to ${max}`);
  return v;
}

/**
 * Renders a preview of `src` with `totalBytes` the size of the whole content:
 * - json: pretty-printed (two-space indent) with long arrays elided; content that is not UTF-8
 *   JSON is previewed as text;
 * - text: the first lines (JSON text, or the head of it, is rendered as a redacted document);
 * - tar: the member list;
 * - binary: size, SHA-256, recognised format (and a hex dump only when not redacting).
 * Redaction (on by default) happens before the byte cut, so a cut never shows part of a secret.
 * Throws InvalidArgument for bad options.
 */
export function renderPreview(src: PreviewSource, totalBytes: number, opts: PreviewOptions = {}): Preview {
  const maxBytes = positiveInt("max_bytes", opts.maxBytes, 64 * 1024, 16 * 1024 * 1024);
  const maxArrayItems = positiveInt("max_array_items", opts.maxArrayItems, 20, 100_000);
  const maxLines = positiveInt("max_lines", opts.maxLines, 200, 1_000_000);
  const maxMembers = positiveInt("max_members", opts.maxMembers, 1000, 1_000_000);
  const redact = opts.redact ?? true;
  const redactor: Redactor | undefined = !redact ? undefined : opts.keyPatterns ? createRedactor({ keyPatterns: opts.keyPatterns }) : defaultRedactor;
  const notes: string[] = [];

  const finish = (kind: PreviewKind, body: string, cut: boolean, all: Redaction[], extra: Partial<Preview> = {}): Preview => {
    const t = truncateUtf8(body, maxBytes);
    const redactions = all.length > MAX_LISTED_REDACTIONS ? all.slice(0, MAX_LISTED_REDACTIONS) : all;
    if (redactions.length < all.length) notes.push(`${all.length - redactions.length} more masked values are not listed`);
    return {
      kind,
      mediaType: kind === "json" ? "application/json" : "text/plain",
      text: t.text,
      truncated: cut || t.truncated,
      redactions,
      redactedPaths: [...new Set(redactions.map((r) => r.path))],
      totalBytes,
      notes,
      ...extra,
    };
  };

  const asText = (head: Uint8Array, complete: boolean) => {
    const r = previewText(new TextDecoder("utf-8").decode(head), { complete, maxLines, maxBytes, redactor });
    notes.push(...r.notes);
    return finish("text", r.text, r.cut || !complete, r.redactions);
  };

  switch (src.kind) {
    case "json": {
      let parsed: JsonPrefix | undefined;
      try {
        parsed = parseJson(new TextDecoder("utf-8", { fatal: true }).decode(src.content), true);
      } catch {
        parsed = undefined;
      }
      if (parsed === undefined) {
        notes.push("content is not valid UTF-8 JSON; shown as text");
        const limit = textHeadBytes(maxBytes);
        return asText(src.content.subarray(0, limit), src.content.length <= limit);
      }
      const r = previewJsonValue(parsed.value, { maxArrayItems, maxBytes, redactor });
      return finish("json", r.text, r.elided || parsed.deep, r.redactions);
    }
    case "text":
      return asText(src.head, src.complete);
    case "tar": {
      const r = previewTarMembers(src.members, { maxMembers, redactor });
      return finish("tar", r.text, r.cut || !src.complete, r.redactions, { members: r.members });
    }
    case "binary":
      return finish("binary", previewBinary(src, { redact }), false, []);
  }
}

/** Renders a preview of the whole `content` as `kind` (see renderPreview). Unreadable tar content fails with FailedPrecondition INVALID_TAR. */
export async function preview(content: Uint8Array, kind: PreviewKind, opts: PreviewOptions = {}): Promise<Preview> {
  const limit = textHeadBytes(opts.maxBytes ?? 64 * 1024);
  switch (kind) {
    case "json":
      return renderPreview({ kind, content }, content.length, opts);
    case "text":
      return renderPreview({ kind, head: content.subarray(0, limit), complete: content.length <= limit }, content.length, opts);
    case "tar":
      return renderPreview({ kind, members: await readTar(content, { keepContentBytes: 0 }), complete: true }, content.length, opts);
    case "binary":
      return renderPreview({ kind, size: content.length, sha256: digestOf(content).toHex(), head: content.subarray(0, HEX_BYTES) }, content.length, opts);
  }
}
