import { invalidField } from "../errors.js";
import { compilePathPatterns } from "./path-glob.js";
import { DEFAULT_MAX_TEXT_BYTES } from "./tar-diff.js";
import { DEFAULT_CONTEXT } from "./text-diff.js";

export type ContentKind = "json" | "text" | "tar";
export type DiffFormat = "JSON" | "UNIFIED" | "WORD" | "HTML";

export interface CompareOptions {
  /** Unchanged lines around each change in UNIFIED and HTML output (0–1000, default 3). */
  context?: number;
  /** JSON only: members to leave out, as JSON Pointers or globs (see path-glob.ts). */
  ignorePaths?: readonly string[];
  /** JSON only: member names that identify array elements, tried in order (e.g. "id", "sku"). */
  arrayMatchKey?: string | readonly string[];
  /** File name of the left side in headers (`--- a/<name>`). Default "snapshot.json" or "snapshot.txt". */
  leftName?: string;
  /** File name of the right side in headers (`+++ b/<name>`). Default: `leftName`. */
  rightName?: string;
  /** Title of the HTML page. Default "Snapshot comparison". */
  title?: string;
  /** TAR only: members up to this size are diffed as text (default 1 MiB, at most 64 MiB). */
  maxTextBytes?: number;
}

export interface ResolvedCompareOptions {
  context: number;
  ignorePaths: readonly string[];
  matchKeys: readonly string[];
  leftName: string;
  rightName: string;
  title: string;
  maxTextBytes: number;
}

/** Validates and fills in defaults; throws InvalidArgument naming the offending option. */
export function resolveCompareOptions(kind: ContentKind, o: CompareOptions = {}): ResolvedCompareOptions {
  const context = o.context ?? DEFAULT_CONTEXT;
  if (!Number.isInteger(context) || context < 0 || context > 1000) {
    throw invalidField("options.context", "must be an integer from 0 to 1000");
  }
  const matchKeys = o.arrayMatchKey === undefined ? [] : typeof o.arrayMatchKey === "string" ? [o.arrayMatchKey] : [...o.arrayMatchKey];
  matchKeys.forEach((k, i) => {
    if (k.length === 0 || k.length > 256) throw invalidField(`options.array_match_key[${i}]`, "must be 1 to 256 characters");
  });
  const maxTextBytes = o.maxTextBytes ?? DEFAULT_MAX_TEXT_BYTES;
  if (!Number.isInteger(maxTextBytes) || maxTextBytes < 0 || maxTextBytes > 64 * 1024 * 1024) {
    throw invalidField("options.max_text_bytes", "must be an integer from 0 to 67108864");
  }
  for (const [field, name] of [["options.left_name", o.leftName], ["options.right_name", o.rightName]] as const) {
    if (name !== undefined && (name.length === 0 || name.length > 1024 || /[\r\n]/.test(name))) {
      throw invalidField(field, "must be 1 to 1024 characters without line breaks");
    }
  }
  if (o.ignorePaths && o.ignorePaths.length > 0) compilePathPatterns(o.ignorePaths);
  const leftName = o.leftName ?? (kind === "json" ? "snapshot.json" : kind === "tar" ? "snapshot.tar" : "snapshot.txt");
  return {
    context,
    ignorePaths: o.ignorePaths ?? [],
    matchKeys,
    leftName,
    rightName: o.rightName ?? leftName,
    title: o.title ?? "Snapshot comparison",
    maxTextBytes,
  };
}
