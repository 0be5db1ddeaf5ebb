import type { TarDiff } from "./tar-diff.js";
import type { JsonDiff } from "./json-diff-types.js";
import type { TextStructuredDiff, WordPart } from "./text-diff.js";
import type { ContentKind } from "./compare-options.js";

/** Word-level diff of one prose value: a JSON path, "" for a whole text, or a tar member name. */
export interface WordField {
  path: string;
  /** Left-document path when it differs from `path` (a keyed array element that shifted). */
  from?: string;
  parts: WordPart[];
}

/** What `compare` returns, by requested format (and, for JSON, by content kind). */
export type CompareResult =
  | { format: "JSON"; kind: "json"; diff: JsonDiff }
  | { format: "JSON"; kind: "text"; diff: TextStructuredDiff }
  | { format: "JSON"; kind: "tar"; diff: TarDiff }
  /** `text` is "" when nothing differs. */
  | { format: "UNIFIED"; kind: ContentKind; text: string }
  | { format: "WORD"; kind: ContentKind; fields: WordField[] }
  | { format: "HTML"; kind: ContentKind; html: string };
