/**
 * The keyed recogniser for text: values that follow a sensitive name in `name=value`,
 * `name: value`, `name => value`, `.env` lines (quoted, `export`ed, commented out), YAML (nested
 * blocks and block scalars), JSON-like text that does not parse, query strings and
 * `<name>value</name>` tags. The whole value is masked, whatever its shape:
 * - a quoted value up to its closing quote, across lines and past backslash-escaped quotes
 *   (no closing quote: to the end of the text);
 * - a bracketed value (`[...]`, `{...}`) up to its matching bracket, token by token so that
 *   field names, brackets and commas stay (unbalanced: to the end of the text);
 * - an unquoted value to the end of the line when the name starts the line, otherwise to the next
 *   space or delimiter; an auth scheme word (`Bearer`) takes the token after it too;
 * - an empty value on a line of its own: the lines indented below it (a YAML mapping, list or
 *   block scalar).
 */
import { isFieldName } from "./sensitive-keys.js";
import type { Span } from "./spans.js";

/**
 * A name followed by a separator: a double- or single-quoted name (also as `\"name\"` inside an
 * escaped string), or a bare one. The separator is `=`, `:`, `=>` or `:=`, not `==` or `://`. A
 * name starts a word (or follows `--`), so a run like `-a-a-a` is tried once, not at every letter.
 */
const HEAD =
  /(?:(?<![\w.$-])|(?<=--))(?:\\"((?:[^"\\\n]|\\[^"\n]){1,256})\\"|"((?:[^"\\\n]|\\.){1,256})"|'((?:[^'\\\n]|\\.){1,256})'|([A-Za-z_$][\w.$-]{0,255}))[ \t]*(?:=>|:=|[:=])(?![=/])[ \t]*/g;
/** What may stand before a name that starts a line: indentation, `export`, a list dash, a comment mark. */
const LINE_PREFIX = /^[ \t]*(?:(?:export|set|setx|declare|local|readonly|env)[ \t]+(?:-\w+[ \t]+)*|-[ \t]+|(?:#+|\/\/+|;+)[ \t]*)?$/;
const TAG = /<([A-Za-z_][\w.:-]{0,127})(?:\s[^<>]*)?>([^<]+)<\/\1\s*>/g;
const BLOCK_SCALAR = /^[|>][-+0-9]*[ \t]*(?:#.*)?$/;
/** One line of a nested block: indentation, a list dash, a name and separator, the value. */
const NESTED_LINE = /([ \t]*)(- )?((?:"[^"\n]*"|'[^'\n]*'|[\w.$-]+)[ \t]*[:=][ \t]*|)([^\n]*)/y;
/** Nothing but spaces, or a YAML block scalar indicator, before the end of the line. */
const EMPTY_VALUE = /[ \t]*(?:[|>][-+0-9]*[ \t]*(?:#[^\n]*)?)?\r?(?:\n|$)/y;
/** Longest text before a name that can still make it start its line (indentation, `export`, ...). */
const MAX_LINE_PREFIX = 256;
const AUTH_SCHEME = /^(?:bearer|basic|token|digest|bot|apikey|negotiate)$/i;
const LITERAL = /^(?:null|true|false)$/;

const lineEndOf = (text: string, at: number) => {
  const i = text.indexOf("\n", at);
  return i < 0 ? text.length : i;
};
const indentOf = (line: string) => /^[ \t]*/.exec(line)![0].length;

function decodeKey(m: RegExpExecArray): string {
  const raw = m[1] ?? m[2] ?? m[3] ?? m[4];
  if (m[4] !== undefined) return raw;
  try {
    return JSON.parse(`"${raw.replace(/\\'/g, "'")}"`) as string;
  } catch {
    return raw;
  }
}

/** Index of the quote that closes the string opened at `at` (text length when there is none). */
export function closingQuote(text: string, at: number, quote: string): number {
  for (let i = at + quote.length; i < text.length; i++) {
    if (text.startsWith(quote, i)) return i;
    if (text[i] === "\\") i++;
  }
  return text.length;
}

/** The end of the bracketed value opened at `at`; its scalar tokens are pushed as spans. */
function scanBracketed(text: string, at: number, out: Span[]): number {
  let depth = 0;
  let i = at;
  const isName = (end: number) => /^[ \t]*:/.test(text.slice(end, end + 64));
  while (i < text.length) {
    const c = text[i];
    if (c === "[" || c === "{") depth++;
    else if (c === "]" || c === "}") {
      if (--depth === 0) return i + 1;
    } else if (c === '"' || c === "'" || c === "`") {
      const close = closingQuote(text, i, c);
      if (!isName(close + 1) || !isFieldName(text.slice(i + 1, close))) out.push({ start: i + 1, end: close, reason: "key" });
      i = close + 1;
      continue;
    } else if (!/[\s,:]/.test(c)) {
      const token = /[^\s,:[\]{}"'`]+/y;
      token.lastIndex = i;
      const m = token.exec(text)!;
      const name = isName(i + m[0].length);
      if ((!name && !LITERAL.test(m[0])) || (name && !isFieldName(m[0]))) out.push({ start: i, end: i + m[0].length, reason: "key" });
      i += m[0].length;
      continue;
    }
    i++;
  }
  return text.length;
}

/**
 * Masks the lines below the line that ends at `from` that are indented deeper than `indent` (or
 * as deep, as YAML list items); returns where that block ends.
 */
function scanNested(text: string, from: number, indent: number, out: Span[]): number {
  let end = from;
  const line = NESTED_LINE;
  for (let at = from + 1; at <= text.length; ) {
    line.lastIndex = at;
    const m = line.exec(text)!;
    const lineEnd = at + m[0].length;
    const value = m[4].trimEnd();
    if (value !== "" || m[3] !== "") {
      const ind = m[1].length;
      if (ind < indent || (ind === indent && m[2] === undefined)) break;
      const contentStart = at + m[1].length + (m[2]?.length ?? 0);
      // A name that is not a field name (a token used as a key) is masked with its value.
      const name = m[3].replace(/[ \t]*[:=][ \t]*$/, "").replace(/^["']|["']$/g, "");
      const start = name !== "" && !isFieldName(name) ? contentStart : contentStart + m[3].length;
      if (start < contentStart + m[3].length || (value !== "" && !BLOCK_SCALAR.test(value))) {
        out.push({ start, end: contentStart + m[3].length + value.length, reason: "key" });
      }
      end = lineEnd;
    }
    at = lineEnd + 1;
  }
  return end;
}

/**
 * Masks the value that starts at `at` (after a sensitive name and its separator); returns its end.
 * Reads no further than the value (or, for an empty one, its nested block), so that scanning a
 * text is linear in its length.
 */
function scanValue(text: string, at: number, head: { lineLevel: boolean; quotedName: boolean; indent: number }, out: Span[]): number {
  EMPTY_VALUE.lastIndex = at;
  if (EMPTY_VALUE.test(text)) return head.lineLevel ? scanNested(text, lineEndOf(text, at), head.indent, out) : at;
  const c = text[at];
  if (text.startsWith('\\"', at)) {
    const close = text.indexOf('\\"', at + 2);
    const end = close < 0 ? lineEndOf(text, at) : close;
    out.push({ start: at + 2, end, reason: "key" });
    return end;
  }
  if (c === '"' || c === "'" || c === "`") {
    const close = closingQuote(text, at, c);
    out.push({ start: at + 1, end: close, reason: "key" });
    return close;
  }
  if (c === "[" || c === "{") return scanBracketed(text, at, out);
  let end: number;
  if (head.lineLevel) {
    // A quoted name starts a JSON-like line: its value ends before a trailing comma or bracket.
    const rest = text.slice(at, lineEndOf(text, at)).trimEnd();
    end = at + (head.quotedName ? rest.replace(/[\s,\]}]+$/, "") : rest).length;
  } else {
    const stop = head.quotedName ? /[\s,}\]]/ : /[\s&,;"'<>()[\]{}]/;
    end = at;
    while (end < text.length && !stop.test(text[end])) end++;
    // "Bearer <token>": the scheme alone is no secret, the token after it is.
    const word = text.slice(at, end);
    if (AUTH_SCHEME.test(word)) {
      const next = /[ \t]+[^\s"'<>]+/y;
      next.lastIndex = end;
      const m = next.exec(text);
      if (m !== null) end += m[0].length;
    }
  }
  if (!LITERAL.test(text.slice(at, end))) out.push({ start: at, end, reason: "key" });
  return end;
}

/** The spans of every value that follows a sensitive name in `text`. */
export function findKeyedSpans(text: string, isSecretKey: (key: string) => boolean): Span[] {
  const out: Span[] = [];
  const head = HEAD;
  head.lastIndex = 0;
  let lineStart = 0;
  let nextBreak = text.indexOf("\n");
  for (let m = /[:=]/.test(text) ? head.exec(text) : null; m !== null; m = head.exec(text)) {
    if (!isSecretKey(decodeKey(m))) continue;
    while (nextBreak >= 0 && nextBreak < m.index) {
      lineStart = nextBreak + 1;
      nextBreak = text.indexOf("\n", lineStart);
    }
    const before = m.index - lineStart <= MAX_LINE_PREFIX ? text.slice(lineStart, m.index) : undefined;
    const lineLevel = before !== undefined && LINE_PREFIX.test(before);
    const end = scanValue(text, head.lastIndex, { lineLevel, quotedName: m[4] === undefined, indent: lineLevel ? indentOf(before) : 0 }, out);
    head.lastIndex = Math.max(end, head.lastIndex);
  }
  if (text.includes("</")) {
    for (const m of text.matchAll(TAG)) {
      if (m[2].trim() !== "" && isSecretKey(m[1])) {
        const start = m.index + m[0].indexOf(">") + 1;
        out.push({ start, end: start + m[2].length, reason: "key" });
      }
    }
  }
  return out;
}
