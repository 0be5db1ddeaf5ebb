/**
 * Diff engine for CompareSnapshots: pure functions over snapshot bytes and manifests. The RPC and
 * job layers fetch content, pick the content kind and format, and map DomainErrors to gRPC codes.
 */
import { compareJson } from "./compare-json.js";
import { resolveCompareOptions, type CompareOptions, type ContentKind, type DiffFormat } from "./compare-options.js";
import { compareTar } from "./compare-tar.js";
import { compareText } from "./compare-text.js";
import type { CompareResult } from "./compare-types.js";

export type { CompareOptions, ContentKind, DiffFormat } from "./compare-options.js";
export type { CompareResult, WordField } from "./compare-types.js";
export { diffJson } from "./json-diff.js";
export type { DiffCounts, JsonDiff, JsonDiffOptions, JsonPatchOp, PathChange } from "./json-diff-types.js";
export { diffChunks, type ByteRange, type ChunkDiff, type ManifestChunk, type MovedRange } from "./chunk-diff.js";
export { diffTar, type TarDiff, type TarMemberChange, type TarMemberInfo } from "./tar-diff.js";
export { readTar, type TarMember } from "./tar-read.js";
export { unifiedDiff, wordDiff, lineHunks, type WordPart, type LineHunk, type TextStructuredDiff } from "./text-diff.js";
export { renderHtmlDiff } from "./html-diff.js";

/**
 * Compares two snapshots' content of the same kind in one format:
 * - JSON: structured (RFC 6902 patch + per-path summary for JSON, line hunks for text, per-member
 *   changes with unified diffs for tar);
 * - UNIFIED: unified diff text with file headers and `context` lines ("" when equal);
 * - WORD: word-level diffs of changed prose (string values, the whole text, or text members);
 * - HTML: a self-contained, sanitized side-by-side page.
 * Errors: InvalidArgument for bad options; FailedPrecondition INVALID_JSON / INVALID_TEXT /
 * INVALID_TAR when content is not of `kind`, DIFF_TOO_LARGE / JSON_TOO_DEEP past the limits.
 */
export async function compare(
  left: Uint8Array,
  right: Uint8Array,
  kind: ContentKind,
  format: DiffFormat,
  options: CompareOptions = {},
): Promise<CompareResult> {
  const o = resolveCompareOptions(kind, options);
  switch (kind) {
    case "json":
      return compareJson(left, right, format, o);
    case "text":
      return compareText(left, right, format, o);
    case "tar":
      return compareTar(left, right, format, o);
  }
}
